/**
 * The jobs and consumer-group sections of the bench report (issue 15), with their targets
 * checked: jobs `process()` ≥ 70 % of the 2-write floor; a 3-member group ≥ 50 % of raw
 * publish throughput with ≤ 2 etcd writes per message (besides the publish).
 * @module
 */
import { GROUP_MEMBERS, groupTargets, IN_FLIGHT, type GroupsCell, type GroupsResult } from '../scenarios/groups.js';
import { CONSUMERS, JOBS_CELLS, JOBS_LABELS, type JobsCell, type JobsResult } from '../scenarios/jobs.js';
import type { Outcome } from './report.js';

export interface JobsGroupsInput {
  jobsN: number;
  groupsN: number;
  jobs: Map<JobsCell, Outcome<JobsResult>>;
  groups: Map<GroupsCell, Outcome<GroupsResult>>;
}

/** Share of the jobs floor `process()` must reach. */
export const JOBS_TARGET = 0.7;

const GROUPS_LABELS: Record<GroupsCell, string> = {
  publish: 'raw publish',
  messages: 'messages$() delivery, 1 subscriber',
  group: `consumer group, ${GROUP_MEMBERS} members`,
};

function cells(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]): string => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function ok<T>(o: Outcome<T> | undefined): T | undefined {
  return o?.ok ? o.value : undefined;
}

function why<T>(o: Outcome<T> | undefined): string {
  return (o === undefined ? 'not run' : o.ok ? '' : o.reason).replace(/\|/g, '\\|');
}

function mark(met: boolean | undefined): string {
  return met === undefined ? '?' : met ? '✓' : '✗';
}

/** The target rows (target, measured, ✓/✗). */
export function jobsGroupsTargets(input: JobsGroupsInput): string[][] {
  const floor = ok(input.jobs.get('floor'));
  const processed = ok(input.jobs.get('process'));
  const publish = ok(input.groups.get('publish'));
  const group = ok(input.groups.get('group'));
  const met = publish && group ? groupTargets(publish, group) : undefined;
  return [
    [
      `Jobs, ${CONSUMERS} consumers: process() ≥ 70 % of the 2-write floor`,
      floor && processed ? `${processed.jobsPerSecond.toFixed(0)}/s vs ${floor.jobsPerSecond.toFixed(0)}/s = ${Math.round((100 * processed.jobsPerSecond) / floor.jobsPerSecond)} %` : '–',
      mark(floor && processed ? processed.jobsPerSecond >= JOBS_TARGET * floor.jobsPerSecond : undefined),
    ],
    [
      `Consumer group, ${GROUP_MEMBERS} members: ≥ 50 % of raw publish throughput`,
      publish && group ? `${group.messagesPerSecond.toFixed(0)}/s vs ${publish.messagesPerSecond.toFixed(0)}/s = ${Math.round((100 * group.messagesPerSecond) / publish.messagesPerSecond)} %` : '–',
      mark(met?.throughput),
    ],
    [
      `Consumer group: ≤ 2 etcd writes per message (besides the publish)`,
      group?.writesPerMessage !== undefined ? `${group.writesPerMessage.toFixed(2)}` : '–',
      mark(group ? (group.writesPerMessage ?? Infinity) <= 2 : undefined),
    ],
  ];
}

/** Targets, then the jobs table and the groups table; '' when neither ran. */
export function renderJobsGroups(input: JobsGroupsInput): string {
  if (input.jobs.size === 0 && input.groups.size === 0) return '';
  const floor = ok(input.jobs.get('floor'));
  const jobRows = JOBS_CELLS.map((cell) => {
    const o = input.jobs.get(cell);
    const r = ok(o);
    if (!r) return [JOBS_LABELS[cell], why(o), '', ''];
    return [JOBS_LABELS[cell], r.jobsPerSecond.toFixed(0), floor ? `${Math.round((100 * r.jobsPerSecond) / floor.jobsPerSecond)} %` : '–', r.writesPerJob.toFixed(2)];
  });
  const publish = ok(input.groups.get('publish'));
  const groupRows = (['publish', 'messages', 'group'] as const).map((cell) => {
    const o = input.groups.get(cell);
    const r = ok(o);
    if (!r) return [GROUPS_LABELS[cell], why(o), '', '', ''];
    const dup = r.handled === undefined ? '–' : String(r.handled - r.n);
    return [GROUPS_LABELS[cell], r.messagesPerSecond.toFixed(0), publish ? `${Math.round((100 * r.messagesPerSecond) / publish.messagesPerSecond)} %` : '–', r.writesPerMessage?.toFixed(2) ?? '–', dup];
  });
  return [
    '## Targets (issue 15)',
    '',
    cells(['target', 'measured', '✓/✗'], jobsGroupsTargets(input)),
    '',
    `## Jobs: ${input.jobsN.toLocaleString('en-US')} items, ${CONSUMERS} consumers (one client each)`,
    '',
    cells(['cell', 'jobs/s', 'of the floor', 'etcd writes/job'], jobRows),
    '',
    `## Consumer groups: ${input.groupsN.toLocaleString('en-US')} messages, ${IN_FLIGHT} publishes in flight`,
    '',
    cells(['cell', 'messages/s', 'vs raw publish', 'etcd writes/message besides the publish', 'duplicates'], groupRows),
    '',
  ].join('\n');
}
