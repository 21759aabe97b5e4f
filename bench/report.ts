/** Turns the raw figures into Markdown tables and a PASS/FAIL/INCONCLUSIVE line per target of the issues. */
import { CONTENDERS, LABELS, TOKEN_CONTENDERS, type ContenderName } from './contenders';
import { hotPathSection, hotPathVerdict } from './hot-path-summary';
import type { HotPathResults } from './hot-path-types';
import { median, type Failures } from './load';
import { outageSection, outageVerdicts } from './outage-summary';
import type { OutageResults } from './outage';
import {
  CONCURRENCIES,
  type BurstResults,
  type Concurrency,
  type HeapFigures,
  type InProcessRound,
  type LongRunResults,
  type RoundFigures,
  type ThroughputRounds,
} from './scenarios';
import { decided, renderVerdicts, summarize, type Verdict } from './verdicts';

export interface Results {
  hotPath?: HotPathResults;
  throughput?: ThroughputRounds;
  inProcess?: Record<ContenderName, InProcessRound[]>;
  bursts?: Partial<Record<ContenderName, BurstResults>>;
  longRun?: LongRunResults;
  outage?: OutageResults;
  heap?: HeapFigures;
}

/** Targets of the issue. */
export const TARGET_RATIO: Readonly<Record<Concurrency, number>> = { 1: 0.95, 50: 0.97 };
export const MAX_HEAP_GROWTH_BYTES = 5 * 1024 * 1024;

const MB = 1024 * 1024;
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const signedMb = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / MB).toFixed(2)} MB`;

/** `0`, or `43 (ECONNRESET 40, HTTP 401 3)`. */
function failures({ failed, errors }: Failures): string {
  const kinds = Object.entries(errors).map(([kind, count]) => `${kind} ${count}`);
  return kinds.length === 0 ? String(failed) : `${failed} (${kinds.join(', ')})`;
}

function mergeFailures(list: readonly Failures[]): Failures {
  const errors: Record<string, number> = {};
  for (const item of list) {
    for (const [kind, count] of Object.entries(item.errors)) errors[kind] = (errors[kind] ?? 0) + count;
  }
  return { failed: list.reduce((sum, item) => sum + item.failed, 0), errors };
}

function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string {
  const rule = align.map((side) => (side === 'r' ? '---:' : ':---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export interface ThroughputSummary extends Failures {
  rps: number;
  /** Median over rounds of (this rps ÷ baseline rps in the same round). */
  ratio: number;
  cpuMicrosPerRequest: number;
  /** Median over rounds of (baseline CPU per request ÷ this CPU per request): a throughput-like ratio. */
  cpuRatio: number;
  p50Ms: number;
  p99Ms: number;
}

export function summarizeThroughput(rounds: ThroughputRounds, concurrency: Concurrency, name: ContenderName): ThroughputSummary {
  const mine = rounds[concurrency][name];
  const base = rounds[concurrency].baseline;
  const ratios = mine.map((figures, round) => figures.rps / base[round].rps);
  const cpuRatios = mine.map((figures, round) => base[round].cpuMicrosPerRequest / figures.cpuMicrosPerRequest);
  return {
    rps: median(mine.map((figures) => figures.rps)),
    ratio: median(ratios),
    cpuMicrosPerRequest: median(mine.map((figures) => figures.cpuMicrosPerRequest)),
    cpuRatio: median(cpuRatios),
    p50Ms: median(mine.map((figures) => figures.p50Ms)),
    p99Ms: median(mine.map((figures) => figures.p99Ms)),
    ...mergeFailures(mine),
  };
}

export interface InProcessSummary {
  nsPerRequest: number;
  cpuNsPerRequest: number;
  overheadNs: number;
  /** Median over rounds of (baseline ns ÷ this ns). */
  ratio: number;
}

export function summarizeInProcess(rounds: Record<ContenderName, InProcessRound[]>, name: ContenderName): InProcessSummary {
  const mine = rounds[name];
  const base = rounds.baseline;
  const nsPerRequest = median(mine.map((round) => round.nsPerRequest));
  return {
    nsPerRequest,
    cpuNsPerRequest: median(mine.map((round) => round.cpuNsPerRequest)),
    overheadNs: median(mine.map((round, index) => round.nsPerRequest - base[index].nsPerRequest)),
    ratio: median(mine.map((round, index) => base[index].nsPerRequest / round.nsPerRequest)),
  };
}

function throughputTable(rounds: ThroughputRounds): string {
  const rows: string[][] = [];
  for (const concurrency of CONCURRENCIES) {
    for (const name of CONTENDERS) {
      const s = summarizeThroughput(rounds, concurrency, name);
      const isBaseline = name === 'baseline';
      rows.push([
        LABELS[name],
        String(concurrency),
        int(s.rps),
        isBaseline ? '1' : fixed(s.ratio, 3),
        fixed(s.cpuMicrosPerRequest, 1),
        isBaseline ? '1' : fixed(s.cpuRatio, 3),
        fixed(s.p50Ms, 2),
        fixed(s.p99Ms, 2),
        failures(s),
      ]);
    }
  }
  return table(
    ['Client', 'Concurrency', 'req/s', '× baseline', 'client CPU µs/req', 'CPU × baseline', 'p50 ms', 'p99 ms', 'failed'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

function inProcessTable(rounds: Record<ContenderName, InProcessRound[]>): string {
  const rows = CONTENDERS.map((name) => {
    const s = summarizeInProcess(rounds, name);
    const isBaseline = name === 'baseline';
    return [
      LABELS[name],
      int(s.nsPerRequest),
      int(s.cpuNsPerRequest),
      isBaseline ? '0' : `${s.overheadNs >= 0 ? '+' : '−'}${int(Math.abs(s.overheadNs))}`,
      isBaseline ? '1' : fixed(s.ratio, 3),
    ];
  });
  return table(['Client', 'ns/request', 'CPU ns/request', 'overhead ns/request', '× baseline'], rows, ['l', 'r', 'r', 'r', 'r']);
}

export /** One token request per token lifetime over the run, plus the first: the target. */
function longRunBound(longRun: LongRunResults): number {
  return Math.ceil(longRun.durationSeconds / longRun.tokenSeconds) + 1;
}

function tokenTable(bursts: Results['bursts'], longRun: LongRunResults | undefined, burstSize: number): string {
  const header = ['Client'];
  if (bursts) {
    header.push(
      `cold ${int(burstSize)}: token requests`,
      '401s',
      'failed',
      `401 burst ${int(burstSize)}: token requests`,
      '401s',
      'failed',
    );
  }
  if (longRun) {
    const run = `${longRun.durationSeconds} s, ${longRun.tokenSeconds} s tokens`;
    header.push(
      `${run}: token requests (bound ${longRunBound(longRun)})`,
      'waited on a fetch after the first',
      'max latency ms after first',
      'requests',
      'failed',
    );
  }
  const rows = TOKEN_CONTENDERS.map((name) => {
    const row = [LABELS[name]];
    const burst = bursts?.[name];
    if (burst) {
      row.push(
        String(burst.cold.tokenRequests),
        String(burst.cold.refused),
        failures(burst.cold),
        String(burst.afterRevoke.tokenRequests),
        String(burst.afterRevoke.refused),
        failures(burst.afterRevoke),
      );
    }
    const run = longRun?.byContender[name];
    if (run) {
      row.push(
        String(run.tokenRequests),
        String(run.waitedAfterFirst),
        fixed(run.maxLatencyAfterFirstMs, 1),
        int(run.requests),
        failures(run),
      );
    }
    return row;
  });
  return table(
    header,
    rows,
    header.map((_, index) => (index === 0 ? 'l' : 'r')),
  );
}

function heapTable(heap: HeapFigures): string {
  return table(
    ['Plugin, concurrency 50', 'heapUsed', 'RSS'],
    [
      [`after ${int(heap.warmupRequests)} warm-up requests + gc`, mb(heap.before.heapUsed), mb(heap.before.rss)],
      [`after ${int(heap.requests)} more requests + gc`, mb(heap.after.heapUsed), mb(heap.after.rss)],
      ['growth', signedMb(heap.after.heapUsed - heap.before.heapUsed), signedMb(heap.after.rss - heap.before.rss)],
    ],
    ['l', 'r', 'r'],
  );
}

/** σ of per-round values, estimated robustly from their interquartile range (σ ≈ IQR / 1.349). */
function robustSigma(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return (at(0.75) - at(0.25)) / 1.349;
}

/** One network measure of a throughput target, judged round by round. */
export interface NetworkAssessment {
  /** Median over rounds of the plugin's throughput-like ratio to the two static-header clients of the same round. */
  ratio: number;
  /** Half-width of a ~95 % interval around `ratio`, from the larger of the plugin's spread and the A/A control's. */
  uncertainty: number;
  /** Median over rounds of the A/A control's ratio to the baseline: 1 but for noise and bias. */
  control: number;
  /** Half-width of a ~95 % interval around `control`. */
  controlUncertainty: number;
  /** The A/A control strays from 1 by more than its own noise and more than half the target's margin. */
  biased: boolean;
  conclusive: boolean;
}

/** Half-width of a ~95 % interval for the median of n values with standard deviation σ: 2 × 1.2533 σ / √n. */
const medianHalfWidth = (sigma: number, n: number): number => (2 * 1.2533 * sigma) / Math.sqrt(Math.max(1, n));

/**
 * A measure of a throughput target, conclusive or not. `figure` reads a round's figure,
 * `higherIsBetter` says whether it is a throughput (req/s) or a cost (CPU µs/request).
 *
 * Per round, the plugin's figure is set against the geometric mean of the baseline's and
 * the A/A control's in that round: the two are the same client, so their mean halves the
 * reference's own noise, and neither one's luck in a round decides. The A/A control's
 * ratio to the baseline, round by round, is pure noise: its spread, scaled to a ratio
 * against a mean of two (× √3 / 2), is the noise of one round's plugin ratio, whatever
 * the plugin's own rounds happen to show. The interval around the plugin's median ratio
 * is 2 × 1.2533 σ / √n with σ the larger of the two spreads. The measure is conclusive
 * when the target lies outside that interval, unless the A/A control is biased: its
 * median strays from 1 by more than its own interval and by more than half the target's
 * margin, so something favoured one of two equal clients, and would favour others too.
 */
export function assessNetwork(
  rounds: ThroughputRounds,
  concurrency: Concurrency,
  figure: (round: RoundFigures) => number,
  higherIsBetter: boolean,
): NetworkAssessment {
  const target = TARGET_RATIO[concurrency];
  const { plugin, baseline, control } = rounds[concurrency];
  const better = (mine: number, reference: number): number => (higherIsBetter ? mine / reference : reference / mine);
  const ratios = plugin.map((round, index) => better(figure(round), Math.sqrt(figure(baseline[index]) * figure(control[index]))));
  const controlRatios = control.map((round, index) => better(figure(round), figure(baseline[index])));
  const controlSigma = robustSigma(controlRatios);
  const uncertainty = medianHalfWidth(Math.max(robustSigma(ratios), (controlSigma * Math.sqrt(3)) / 2), ratios.length);
  const controlUncertainty = medianHalfWidth(controlSigma, controlRatios.length);
  const ratio = median(ratios);
  const controlRatio = median(controlRatios);
  const biased = Math.abs(controlRatio - 1) > Math.max(controlUncertainty, (1 - target) / 2);
  const conclusive = !biased && Math.abs(ratio - target) > uncertainty;
  return { ratio, uncertainty, control: controlRatio, controlUncertainty, biased, conclusive };
}

/**
 * The network measures in order: wall-clock throughput, the target's own figure, then
 * the client's CPU time per request over the same runs, which time spent preempted by
 * other processes does not inflate. The first conclusive one decides; when neither is,
 * INCONCLUSIVE. The in-process cost is printed beside them, but does not decide: it
 * leaves out everything the network adds, so it would pass whatever the network did.
 */
function throughputVerdict(results: Results, concurrency: Concurrency): Verdict {
  const target = TARGET_RATIO[concurrency];
  const rounds = results.throughput!;
  const measures = [
    { name: 'wall-clock throughput', ...assessNetwork(rounds, concurrency, (round) => round.rps, true) },
    { name: 'client CPU time per request', ...assessNetwork(rounds, concurrency, (round) => round.cpuMicrosPerRequest, false) },
  ];
  const texts = measures.map(
    (m) =>
      `${m.name} ${fixed(m.ratio, 3)} ± ${fixed(m.uncertainty, 3)} (A/A control ${fixed(m.control, 3)} ± ${fixed(m.controlUncertainty, 3)}): ` +
      (m.conclusive ? 'conclusive' : m.biased ? 'inconclusive, the A/A control is off' : 'inconclusive, the target is within the noise'),
  );
  if (results.inProcess) {
    const overheadMicros = summarizeInProcess(results.inProcess, 'plugin').overheadNs / 1000;
    const baseCpu = summarizeThroughput(rounds, concurrency, 'baseline').cpuMicrosPerRequest;
    texts.push(
      `for reference, not deciding: in-process overhead ${fixed(overheadMicros, 2)} µs on the baseline's ${fixed(baseCpu, 0)} µs CPU/request would give ${fixed(baseCpu / (baseCpu + overheadMicros), 3)}`,
    );
  }
  const s = summarizeThroughput(rounds, concurrency, 'plugin');
  const title = `throughput at concurrency ${concurrency}`;
  const line = `ratio to the static-header clients ≥ ${target}, ${rounds[concurrency].plugin.length} rounds: ${texts.join('; ')}`;
  if (s.failed > 0)
    return { outcome: 'FAIL', target: title, decidedBy: 'failed requests', line: `${line}; ${failures(s)} requests failed` };
  const judge = measures.find((m) => m.conclusive);
  if (judge === undefined)
    return {
      outcome: 'INCONCLUSIVE',
      target: title,
      decidedBy: 'wall-clock throughput or client CPU time per request (neither conclusive)',
      line,
    };
  return { outcome: judge.ratio >= target ? 'PASS' : 'FAIL', target: title, decidedBy: judge.name, line };
}

export function verdicts(results: Results, burstSize: number): Verdict[] {
  const list: Verdict[] = [];
  if (results.hotPath) list.push(hotPathVerdict(results.hotPath));
  if (results.throughput) {
    list.push(throughputVerdict(results, 50), throughputVerdict(results, 1));
  }
  const burst = results.bursts?.plugin;
  if (burst) {
    for (const [title, figures] of [
      [`cold burst of ${burstSize}`, burst.cold],
      [`401 burst of ${burstSize}`, burst.afterRevoke],
    ] as const) {
      list.push(
        decided(
          figures.tokenRequests === 1 && figures.failed === 0,
          title,
          'exact count at the server',
          `exactly 1 token request and 0 failed: ${figures.tokenRequests} token request(s), ${figures.failed} failed`,
        ),
      );
    }
  }
  const run = results.longRun?.byContender.plugin;
  if (results.longRun && run) {
    const bound = longRunBound(results.longRun);
    list.push(
      decided(
        run.tokenRequests <= bound && run.waitedAfterFirst === 0 && run.failed === 0,
        `long run (${results.longRun.durationSeconds} s, ${results.longRun.tokenSeconds} s tokens)`,
        'exact count at the server',
        `token requests ≤ ${bound} and no request waited on a token fetch after the first: ${run.tokenRequests} token requests, ${run.waitedAfterFirst} waited ` +
          `(max latency ${fixed(run.maxLatencyAfterFirstMs, 1)} ms with a ${results.longRun.tokenDelayMs} ms token endpoint), ${run.failed} failed of ${int(run.requests)}`,
      ),
    );
  }
  if (results.outage) list.push(...outageVerdicts(results.outage));
  const heap = results.heap;
  if (heap) {
    const growth = heap.after.heapUsed - heap.before.heapUsed;
    list.push(
      decided(
        growth < MAX_HEAP_GROWTH_BYTES && heap.failed === 0,
        'heap growth',
        'heapUsed after a full GC, before and after',
        `after warm-up over ${int(heap.requests)} requests < 5 MB: ${signedMb(growth)} (RSS ${signedMb(heap.after.rss - heap.before.rss)}), ${heap.failed} failed`,
      ),
    );
  }
  return list;
}

export function render(results: Results, context: { header: string; burstSize: number }): string {
  const parts = [context.header];
  if (results.hotPath) parts.push(hotPathSection(results.hotPath));
  if (results.throughput) {
    parts.push(
      '### Throughput and latency over keep-alive HTTP (127.0.0.1)',
      throughputTable(results.throughput),
      'Each figure is the median over the rounds (each contender runs its requests of a round in slices, taking turns with the others); ' +
        'a ratio is the median of the per-round ratios to the baseline run in the same round. ' +
        'Client CPU is this process alone (the servers run in a child process), GC threads included. ' +
        'The A/A control is a second client identical to the baseline: its distance from 1 is the noise of the measurement. ' +
        "The targets below set the plugin against both static-header clients of each round (geometric mean), with the A/A control's spread across rounds as the noise.",
    );
  }
  if (results.inProcess) {
    parts.push(
      '### In-process cost per request, lib/ through tsx (adapter answers at once, no network, concurrency 1)',
      inProcessTable(results.inProcess),
      'What axios and the interceptors cost without any I/O. CPU exceeds wall time by the work of the GC threads.',
    );
  }
  if (results.bursts || results.longRun) {
    const notes = [];
    if (results.bursts)
      notes.push(
        'Bursts: concurrent requests on a fresh client (cold), then on the same client after every token was revoked; "401s" are the resource server\'s 401 answers.',
      );
    if (results.longRun) {
      notes.push(
        'Long run: all token-fetching clients side by side, tokens refused once expired; "waited" counts requests that carried a token issued after they ' +
          'started (counted by the resource server), the first token excepted. Bound: ⌈duration ÷ lifetime⌉ + 1, one per token lifetime.',
      );
    }
    parts.push('### Token requests', tokenTable(results.bursts, results.longRun, context.burstSize), notes.join(' '));
  }
  if (results.outage) parts.push(outageSection(results.outage));
  if (results.heap) parts.push('### Memory', heapTable(results.heap));
  const list = verdicts(results, context.burstSize);
  parts.push('### Targets', renderVerdicts(list), summarize(list));
  return `${parts.join('\n\n')}\n`;
}
