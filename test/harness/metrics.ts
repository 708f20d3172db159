/**
 * A tiny parser for the Prometheus text exposition format (what etcd serves on `/metrics`).
 *
 * @example
 * ```ts
 * const samples = parseMetrics('etcd_server_has_leader 1\nfoo{a="x"} 2\nfoo{a="y"} 3\n');
 * sumMetric(samples, 'foo');             // 5
 * sumMetric(samples, 'foo', { a: 'y' }); // 3
 * ```
 * @module
 */

/** One sample line: a metric name, its labels and its value. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Optional timestamp in ms, when the line had one. */
  timestamp?: number;
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default: {
      const value = Number(text);
      if (text === '' || Number.isNaN(value)) throw new Error(`invalid sample value ${JSON.stringify(text)}`);
      return value;
    }
  }
}

/** Parse `{a="x",b="y\"z"}` starting at `start` (the `{`); returns labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const skipSpaces = (): void => {
    while (line[i] === ' ' || line[i] === '\t') i += 1;
  };
  for (;;) {
    skipSpaces();
    if (line[i] === '}') return { labels, end: i + 1 };
    const nameStart = i;
    while (i < line.length && /[A-Za-z0-9_]/.test(line[i] as string)) i += 1;
    const name = line.slice(nameStart, i);
    skipSpaces();
    if (name === '' || line[i] !== '=') throw new Error(`invalid label at column ${i}: ${line}`);
    i += 1;
    skipSpaces();
    if (line[i] !== '"') throw new Error(`expected '"' at column ${i}: ${line}`);
    i += 1;
    let value = '';
    for (;;) {
      const ch = line[i];
      if (ch === undefined) throw new Error(`unterminated label value: ${line}`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
      } else {
        value += ch;
        i += 1;
      }
    }
    i += 1; // closing quote
    labels[name] = value;
    skipSpaces();
    if (line[i] === ',') i += 1;
    else if (line[i] !== '}') throw new Error(`expected ',' or '}' at column ${i}: ${line}`);
  }
}

/**
 * Parse Prometheus text format into samples. `# HELP` / `# TYPE` / comment and blank lines are
 * skipped; histogram and summary series appear under their own names (`x_bucket`, `x_sum`, ...).
 *
 * @throws Error on a malformed sample line.
 */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const nameMatch = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`invalid metric line: ${line}`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.trimStart().startsWith('{')) {
      const offset = name.length + (rest.length - rest.trimStart().length);
      const parsed = parseLabels(line, offset);
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const fields = rest.trim().split(/\s+/);
    const sample: MetricSample = { name, labels, value: parseValue(fields[0] ?? '') };
    if (fields[1] !== undefined) sample.timestamp = Number(fields[1]);
    samples.push(sample);
  }
  return samples;
}

/**
 * Sum of the values of samples named `name` whose labels include all of `labels`
 * (0 when none match).
 */
export function sumMetric(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  const wanted = Object.entries(labels);
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (wanted.every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
  }
  return sum;
}

/** GET `<baseUrl>/metrics` as text. */
export async function fetchMetrics(baseUrl: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: signal ?? AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${baseUrl}/metrics -> ${res.status}`);
  return res.text();
}
