/** What the hot-path children report and what the parent collects (hot-path-modules.ts). */

export const MODULE_SYSTEMS = ['require', 'import'] as const;
export type ModuleSystem = (typeof MODULE_SYSTEMS)[number];

/** Per-request figures of each client, one entry per round (timing, ns) or sample (allocation, bytes). */
export interface ClientFigures {
  /** axios with a static Bearer default header. */
  baseline: number[];
  /** axios with oauth2() and a cached token. */
  plugin: number[];
  /** A second baseline client (A/A test): its distance from the baseline is the noise. */
  control: number[];
}

/** What a child reports (see hot-path-measure.cjs). */
export interface ChildReport {
  moduleSystem: ModuleSystem;
  mode: 'timing' | 'allocation';
  /** The files the child's module system resolved for the plugin and for axios. */
  loaded: { plugin: string; axios: string };
  axiosVersion: string;
  node: string;
  /** Timing: wall-clock ns per request. Allocation: bytes per request. */
  figures: ClientFigures;
  /** Timing only: CPU ns per request of the child process (user + system, GC threads included). */
  cpuFigures?: ClientFigures;
}

export interface HotPathResults {
  /** Whether dist/ was built by this run, and why. */
  build: string;
  /** Timing children per module system: what differs from one process to the next is part of the noise. */
  processes: number;
  /** Rounds per timing child. */
  rounds: number;
  requests: number;
  allocationSamples: number;
  allocationRequests: number;
  /** One report per timing child, in the order they ran. */
  timing: Record<ModuleSystem, ChildReport[]>;
  /** Bytes per request, or why they could not be measured (e.g. a GC during a sample). */
  allocation: Record<ModuleSystem, ChildReport | { error: string }>;
}
