#!/usr/bin/env node
// `npm run gen:proto`: generates adapters/shared/gen/ (TypeScript, @bufbuild/protobuf v2: bigint
// int64, Uint8Array bytes) from the vendored etcd protos in adapters/shared/proto/, with `buf`
// compiling the protos and the local `protoc-gen-es` plugin (node_modules/.bin): offline, no
// protoc, no remote plugin, no BSR dependency. The output is committed; CI (.ci/run) runs this
// and fails when `git diff` shows a change.
//
// `node scripts/gen-proto.mjs --vendor [etcd source dir]` first re-vendors the three protos from
// etcd's Go sources (default: Debian's golang-etcd-server-dev, etcd 3.4.23, at
// /usr/share/gocode/src/go.etcd.io/etcd), making the edits listed in VENDOR_HEADER.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'adapters', 'shared', 'proto');
const genDir = join(root, 'adapters', 'shared', 'gen');

/** Vendored file -> its path under etcd's source tree. */
const SOURCES = {
  'mvccpb/kv.proto': 'mvcc/mvccpb/kv.proto',
  'authpb/auth.proto': 'auth/authpb/auth.proto',
  'etcdserverpb/rpc.proto': 'etcdserver/etcdserverpb/rpc.proto',
};

const VENDOR_HEADER = (source) => `// Vendored from etcd v3.4.23: ${source}
// (Debian golang-etcd-server-dev 3.4.23, /usr/share/gocode/src/go.etcd.io/etcd/${source}).
// Regenerate with \`node scripts/gen-proto.mjs --vendor\`; do not edit by hand. Edits made:
//  - gogoproto import and options removed (Go code generation only);
//  - google/api/annotations.proto import and every \`option (google.api.http) = {...};\` removed
//    (grpc-gateway routes: meaningless to a client);
//  - imports "etcd/mvcc/mvccpb/kv.proto", "etcd/auth/authpb/auth.proto" rewritten to
//    "mvccpb/kv.proto", "authpb/auth.proto" (this folder's layout).
// Nothing else: messages, fields, numbers, enums and services are etcd's.

`;

/** Removes `option (google.api.http) = { ... };` blocks (brace-matched: they nest `additional_bindings { }`). */
function stripHttpOptions(text) {
  const start = /[ \t]*option\s*\(\s*google\.api\.http\s*\)\s*=\s*\{/g;
  let out = '';
  let from = 0;
  for (let m = start.exec(text); m; m = start.exec(text)) {
    out += text.slice(from, m.index);
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < text.length && depth > 0; i += 1) {
      if (text[i] === '{') depth += 1;
      else if (text[i] === '}') depth -= 1;
    }
    if (depth !== 0) throw new Error('unbalanced google.api.http option block');
    const semi = /^\s*;[ \t]*\n?/.exec(text.slice(i));
    from = i + (semi ? semi[0].length : 0);
    start.lastIndex = from;
  }
  return out + text.slice(from);
}

function vendor(etcdDir) {
  for (const [file, source] of Object.entries(SOURCES)) {
    let text = readFileSync(join(etcdDir, source), 'utf8');
    text = stripHttpOptions(text)
      .replace(/^import "gogoproto\/gogo\.proto";\n/m, '')
      .replace(/^\/\/ for grpc-gateway\nimport "google\/api\/annotations\.proto";\n/m, '')
      .replace(/^option \(gogoproto\.[a-z_]+\) = [a-z]+;\n/gm, '')
      .replace(/^import "etcd\/(mvcc|auth)\/(mvccpb|authpb)\/([a-z]+\.proto)";$/gm, 'import "$2/$3";')
      // An rpc left with an empty body: `{\n  }` -> `{}`.
      .replace(/\) \{\s*\n\s*\}/g, ') {}')
      .replace(/\n{3,}/g, '\n\n');
    if (/gogoproto|google\.api|"etcd\//.test(text)) throw new Error(`${source}: unhandled gogoproto / google.api / etcd import left`);
    mkdirSync(dirname(join(protoDir, file)), { recursive: true });
    writeFileSync(join(protoDir, file), VENDOR_HEADER(source) + text);
    console.log(`vendored ${file} from ${source}`);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--vendor') vendor(args[1] ?? '/usr/share/gocode/src/go.etcd.io/etcd');

const template = {
  version: 'v2',
  plugins: [{ local: join(root, 'node_modules', '.bin', 'protoc-gen-es'), out: genDir, opt: ['target=ts', 'import_extension=js'] }],
};
rmSync(genDir, { recursive: true, force: true });
execFileSync(join(root, 'node_modules', '.bin', 'buf'), ['generate', protoDir, '--template', JSON.stringify(template)], { cwd: root, stdio: 'inherit' });
console.log(`generated ${genDir}`);
