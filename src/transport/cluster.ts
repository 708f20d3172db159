/**
 * Cluster and auth messages of the transport seam: members, a member's status, an auth token.
 * @module
 */
import type { Rev } from '../types.js';
import type { ResponseHeader } from './kv.js';

/** One member of the cluster. */
export interface Member {
  id: Rev;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

/** The members of the cluster. */
export interface MemberListResponse {
  header: ResponseHeader;
  members: Member[];
}

/** The status of the member that answered. */
export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: Rev;
  leader: Rev;
  raftIndex: Rev;
  raftTerm: Rev;
}

/** An auth token for `name`. */
export interface AuthenticateResponse {
  header: ResponseHeader;
  token: string;
}
