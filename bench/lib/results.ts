/** What a bench run produces: every figure the report and the harness test read. */

export interface EndpointRow {
  id: string;
  label: string;
  /** Median of the runs. */
  rps: number;
  p50: number;
  p99: number;
  /** Busy fraction of one core for the server under test. */
  cpu: number;
  /** Busy fraction of core 0 (server) and core 1 (load generator, fake Kakao, Redis), whoever used them. */
  cores: number[];
  note?: string;
  error?: string;
}

export interface LoginRow {
  id: string;
  label: string;
  /** Logins per second at saturation (closed loop), median of the runs. */
  rate: number;
  /** Latency added by the server under test per login, at saturation. */
  p50: number;
  p99: number;
  cpu: number;
  cores: number[];
  /** The same at a paced load of half the saturated rate (the figure the latency target reads). */
  pacedRate?: number;
  pacedP50?: number;
  pacedP99?: number;
  note?: string;
  error?: string;
}

/** RSS of one server before, at its peak and right after a number of logins. */
export interface MemoryDrive {
  logins: number;
  seconds: number;
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  error?: string;
}

export interface MemoryResult extends MemoryDrive {
  afterTtlMb: number;
  /** Seconds waited after the last login before `afterTtlMb`. */
  waitedSeconds: number;
  settings: string;
  /** The login ceiling (bare Fastify that keeps nothing, bundled like the bridge) over the same logins. */
  ceiling: MemoryDrive | undefined;
  /** The same with V8's heap held small (leanHeapNodeArgs): the least RSS a server keeps over these logins. */
  leanCeiling: MemoryDrive | undefined;
  /** The bridge over the same logins with the same small heap (leanHeapNodeArgs). */
  lean: MemoryDrive | undefined;
}

export interface ColdStartResult {
  /** Median ms from spawn to the first discovery 200, with the keys already in DATA_DIR. */
  keysExistMs: number;
  /** A first start in the image: it generates the RS256 key; V8's code cache is there (the image ships it). */
  imageFirstStartMs: number;
  /** A first start from a fresh build: it generates the key and compiles everything (empty code cache). */
  firstStartMs: number;
  /** Median CPU time used by then (user + system, all threads): what contention does not inflate. */
  keysExistCpuMs: number;
  imageFirstStartCpuMs: number;
  firstStartCpuMs: number;
  /** Median ms from spawn to the first /jwks that publishes a key: a first start creates its key once it listens, after its first discovery. */
  jwksMs: { keysExist: number; imageFirstStart: number; firstStart: number };
  runs: { keysExist: number[]; imageFirstStart: number[]; firstStart: number[] };
  error?: string;
}

export interface Target {
  name: string;
  measured: string;
  required: string;
  /** What the ceiling itself reaches against the same requirement, in the same run (targets beyond what a bridge could skip). */
  ceiling?: string;
  /** The ceiling itself misses the requirement: no server doing the same job could meet it here. */
  beyondCeiling?: boolean;
  met: boolean | undefined;
}

export interface Machine {
  cpus: number;
  model: string;
  memoryGb: number;
  kernel: string;
  node: string;
  pinned: boolean;
  loadBefore: string;
  loadAfter: string;
  date: string;
}

export interface Results {
  quick: boolean;
  command: string;
  machine: Machine;
  settings: Record<string, number | string | boolean>;
  rows: EndpointRow[];
  logins: LoginRow[];
  memory: MemoryResult | undefined;
  coldStart: ColdStartResult | undefined;
  targets: Target[];
  durationSeconds: number;
}
