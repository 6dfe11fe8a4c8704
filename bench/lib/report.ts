/** The markdown the bench prints and writes into BENCHMARKS.md, and the issue's targets checked against the run. */
import { leanHeapNodeArgs } from './procs.js';
import type { EndpointRow, LoginRow, MemoryDrive, Results, Target } from './results.js';

/** Which ceiling and which oidc-provider row each row is compared with. */
const comparisons: Record<string, { ceiling?: string; anchor?: string }> = {
  'anchor.discovery': { ceiling: 'ceiling.static' },
  'anchor.jwks': { ceiling: 'ceiling.static' },
  'anchor.token': { ceiling: 'ceiling.sign' },
  'anchor.userinfo': { ceiling: 'ceiling.verify' },
  'bridge.discovery': { ceiling: 'ceiling.static-paired', anchor: 'anchor.discovery' },
  'bridge.jwks': { ceiling: 'ceiling.static-paired', anchor: 'anchor.jwks' },
  'bridge.authorize': { ceiling: 'ceiling.static' },
  'bridge.token': { ceiling: 'ceiling.sign-paired', anchor: 'anchor.token' },
  'bridge.userinfo': { ceiling: 'ceiling.verify-paired', anchor: 'anchor.userinfo' },
  'bridge.userinfo-jwt': { ceiling: 'ceiling.sign-paired', anchor: 'anchor.userinfo' },
  'login.memory': { ceiling: 'ceiling.login-duties', anchor: 'anchor.login' },
  'login.redis': { ceiling: 'ceiling.login-redis-duties', anchor: 'anchor.login' },
  'ceiling.token-paired': { anchor: 'anchor.token' },
  'ceiling.token-checked': { ceiling: 'ceiling.token-paired', anchor: 'anchor.token' },
  'ceiling.token-duties': { ceiling: 'ceiling.token-paired', anchor: 'anchor.token' },
  'ceiling.login': { anchor: 'anchor.login' },
  'ceiling.login-protocol': { ceiling: 'ceiling.login', anchor: 'anchor.login' },
  'ceiling.login-duties': { ceiling: 'ceiling.login', anchor: 'anchor.login' },
  'ceiling.login-redis': { anchor: 'anchor.login' },
  'ceiling.login-redis-duties': { ceiling: 'ceiling.login-redis', anchor: 'anchor.login' },
};

const shortNames: Record<string, string> = {
  'ceiling.static': 'static',
  'ceiling.static-paired': 'static (alternating)',
  'ceiling.sign-paired': 'sign (alternating)',
  'ceiling.token-paired': 'token ceiling (alternating)',
  'ceiling.token-checked': 'token ceiling with the checks',
  'ceiling.token-duties': 'token ceiling with the checks and duties',
  'ceiling.verify-paired': 'verify (alternating)',
  'ceiling.sign': 'sign',
  'ceiling.verify': 'verify',
  'ceiling.login': 'login ceiling',
  'ceiling.login-protocol': 'login ceiling with the checks',
  'ceiling.login-duties': 'login ceiling with the checks and duties',
  'ceiling.login-redis': 'login ceiling with Redis',
  'ceiling.login-redis-duties': 'login ceiling with the checks, duties and Redis',
  'anchor.discovery': 'discovery',
  'anchor.jwks': 'JWKS',
  'anchor.token': '/token',
  'anchor.userinfo': '/me',
  'anchor.login': 'login',
};

interface Rate {
  rate: number;
  cpu: number;
}

function rates(results: Results): Map<string, Rate> {
  const map = new Map<string, Rate>();
  for (const row of results.rows) if (row.error === undefined) map.set(row.id, { rate: row.rps, cpu: row.cpu });
  for (const row of results.logins) if (row.error === undefined) map.set(row.id, { rate: row.rate, cpu: row.cpu });
  return map;
}

/** Below this share of its core a server was not saturated (the machine was busy, or the load side was the limit). */
const saturated = 0.9;

/**
 * rate ÷ rate, and the same per CPU-second of each server; `judged` is the raw ratio when both
 * servers were saturated, else the per-CPU one (a raw ratio then measures the machine's noise).
 */
function ratio(table: Map<string, Rate>, id: string, other: string | undefined): { raw: number; perCpu: number; judged: number; bothSaturated: boolean } | undefined {
  const a = table.get(id);
  const b = other === undefined ? undefined : table.get(other);
  if (a === undefined || b === undefined || a.rate <= 0 || b.rate <= 0) return undefined;
  const raw = a.rate / b.rate;
  const perCpu = a.cpu > 0 && b.cpu > 0 ? a.rate / a.cpu / (b.rate / b.cpu) : raw;
  const bothSaturated = a.cpu >= saturated && b.cpu >= saturated;
  return { raw, perCpu, judged: bothSaturated ? raw : perCpu, bothSaturated };
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmtRate = (value: number) => integer.format(value);
const fmtMs = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const fmtPct = (value: number) => `${Math.round(value * 100)} %`;
const fmtRatio = (value: number) => `${value.toFixed(2)}×`;
const perCpu = (rate: number, cpu: number) => (cpu > 0 ? fmtRate(rate / cpu) : '—');
const fmtCores = (cores: readonly number[]) => (cores.length < 2 ? '—' : cores.slice(0, 2).map((core) => Math.round(core * 100)).join(' / '));

const runsCell = (medianMs: number, runs: readonly number[]) => `${medianMs.toFixed(0)} ms (${runs.map((ms) => ms.toFixed(0)).join(', ')})`;

function ratioCell(table: Map<string, Rate>, id: string, other: string | undefined): string {
  const value = ratio(table, id, other);
  if (value === undefined || other === undefined) return '—';
  return `${fmtRatio(value.raw)} ${shortNames[other] ?? other}`;
}

function endpointLine(table: Map<string, Rate>, row: EndpointRow): string {
  const compare = comparisons[row.id] ?? {};
  if (row.error !== undefined) return `| ${row.label} | failed: ${row.error.replace(/\|/g, '/')} | | | | | | | |`;
  const note = row.note === undefined ? '' : ` ⚠ ${row.note}`;
  return `| ${row.label}${note} | ${fmtRate(row.rps)} | ${fmtMs(row.p50)} | ${fmtMs(row.p99)} | ${fmtPct(row.cpu)} | ${fmtCores(row.cores)} | ${perCpu(row.rps, row.cpu)} | ${ratioCell(table, row.id, compare.ceiling)} | ${ratioCell(table, row.id, compare.anchor)} |`;
}

function loginLine(table: Map<string, Rate>, row: LoginRow): string {
  const compare = comparisons[row.id] ?? {};
  if (row.error !== undefined) return `| ${row.label} | ${row.error.replace(/\|/g, '/')} | | | | | | | |`;
  const note = row.note === undefined ? '' : ` ⚠ ${row.note}`;
  const pacedCell = row.pacedP99 === undefined ? '—' : `${fmtMs(row.pacedP50 ?? 0)} / ${fmtMs(row.pacedP99)} at ${fmtRate(row.pacedRate ?? 0)}/s`;
  return `| ${row.label}${note} | ${fmtRate(row.rate)} | ${fmtMs(row.p50)} / ${fmtMs(row.p99)} | ${pacedCell} | ${fmtPct(row.cpu)} | ${fmtCores(row.cores)} | ${perCpu(row.rate, row.cpu)} | ${ratioCell(table, row.id, compare.ceiling)} | ${ratioCell(table, row.id, compare.anchor)} |`;
}

/** What the 1.5× login target asks of the bridge, measured against what no bridge can beat. */
function loginBound(table: Map<string, Rate>): string {
  const bare = ratio(table, 'ceiling.login', 'anchor.login');
  const checked = ratio(table, 'ceiling.login-protocol', 'anchor.login');
  const duties = ratio(table, 'ceiling.login-duties', 'anchor.login');
  if (bare === undefined || checked === undefined || duties === undefined) return 'The login ceilings or oidc-provider’s login were not measured.';
  const perCpu = (value: { bothSaturated: boolean }) => (value.bothSaturated ? '' : ' (per CPU-second)');
  return [
    `The login ceiling (bare Fastify doing only a login’s unavoidable work: four responses, two Kakao calls through a keep-alive pool, one RS256 signature; no store, no checks, no logs) runs at **${fmtRatio(bare.judged)}** oidc-provider’s authorize → code → token${perCpu(bare)}.`,
    `With what the specifications require of any login added, in memory and nothing else (a one-time state bound to the browser by a cookie, a one-time code for one client and redirect URI, client authentication, the nonce, access tokens kept for /userinfo), it runs at **${fmtRatio(checked.judged)}**${perCpu(checked)}:`,
    `a bridge at 1.5× oidc-provider would have to run at **${fmtRatio(1.5 / checked.judged)}** of that ceiling (${fmtRatio(1.5 / bare.judged)} of the bare one).`,
    `With the bridge’s duties on top (rate limits, an access-log line per response, a request-duration histogram, security headers, access tokens sealed instead of kept, so that a login leaves nothing in memory), it runs at **${fmtRatio(duties.judged)}**${perCpu(duties)}: 1.5× is **${fmtRatio(1.5 / duties.judged)}** of that ceiling.`,
  ].join(' ');
}

interface Bound {
  id: string;
  name: string;
  also?: { id: string; name: string }[];
}

export function targets(results: Results): Target[] {
  const table = rates(results);
  const list: Target[] = [];
  /**
   * `bound`: the ceiling that does only the unavoidable part of `id`'s job, held to the same
   * requirement; `also`: barer ceilings, shown beside it.
   */
  const ratioTarget = (name: string, id: string, other: string, minimum: number, bound?: Bound) => {
    const value = ratio(table, id, other);
    const reached = bound === undefined ? undefined : ratio(table, bound.id, other);
    const judged = (reachedBy: { judged: number; bothSaturated: boolean }) => `${fmtRatio(reachedBy.judged)}${reachedBy.bothSaturated ? '' : ' per CPU-s'}`;
    const barer = (bound?.also ?? []).map((ceiling) => {
      const barerReached = ratio(table, ceiling.id, other);
      return `${ceiling.name}: ${barerReached === undefined ? 'not measured' : judged(barerReached)}; `;
    });
    list.push({
      name,
      measured:
        value === undefined
          ? 'not measured'
          : value.bothSaturated
            ? `**${fmtRatio(value.raw)}** req/s (per CPU-s ${fmtRatio(value.perCpu)})`
            : `${fmtRatio(value.raw)} req/s, **${fmtRatio(value.perCpu)}** per CPU-s (judged: a server was below ${fmtPct(saturated)} CPU)`,
      required: `≥ ${fmtRatio(minimum)}`,
      ...(bound === undefined
        ? {}
        : {
            ceiling:
              barer.join('') +
              (reached === undefined
                ? `${bound.name}: not measured`
                : `${bound.name}: ${judged(reached)}, so ${fmtRatio(minimum)} is ${fmtRatio(minimum / reached.judged)} of that ceiling`),
            beyondCeiling: reached === undefined ? undefined : reached.judged < minimum,
          }),
      met: value === undefined ? undefined : value.judged >= minimum,
    });
  };
  /** A ceiling with the protocol's checks and the bridge's duties, its bare and checked forms shown beside it. */
  const withDuties = (id: string, bare: { id: string; name: string }, checkedId: string): Bound => ({
    id,
    name: 'with the protocol’s checks and the bridge’s duties',
    also: [bare, { id: checkedId, name: 'with the checks' }],
  });
  const tokenCeiling = withDuties('ceiling.token-duties', { id: 'ceiling.token-paired', name: 'the token ceiling' }, 'ceiling.token-checked');
  const loginCeiling = { id: 'ceiling.login', name: 'the login ceiling' };
  const dutiesLoginCeiling = withDuties('ceiling.login-duties', loginCeiling, 'ceiling.login-protocol');
  const redisLoginCeiling: Bound = {
    id: 'ceiling.login-redis-duties',
    name: 'with the checks, the duties and Redis',
    also: [{ id: 'ceiling.login-redis', name: 'the login ceiling with Redis' }],
  };
  ratioTarget('/userinfo ≥ 2× oidc-provider /me', 'bridge.userinfo', 'anchor.userinfo', 2);
  ratioTarget('/userinfo ≥ 70 % of the verify ceiling (in alternate runs)', 'bridge.userinfo', 'ceiling.verify-paired', 0.7);
  ratioTarget('/token ≥ 80 % of the sign ceiling (RS256, in alternate runs)', 'bridge.token', 'ceiling.sign-paired', 0.8);
  ratioTarget('/token ≥ 1.5× oidc-provider /token (RS256)', 'bridge.token', 'anchor.token', 1.5, tokenCeiling);
  ratioTarget('discovery ≥ 80 % of the static-JSON ceiling (in alternate runs)', 'bridge.discovery', 'ceiling.static-paired', 0.8);
  ratioTarget('JWKS ≥ 80 % of the static-JSON ceiling (in alternate runs)', 'bridge.jwks', 'ceiling.static-paired', 0.8);
  ratioTarget('full login, memory store ≥ 1.5× oidc-provider authorize → code → token', 'login.memory', 'anchor.login', 1.5, dutiesLoginCeiling);
  ratioTarget('full login, Redis store ≥ 1.5× oidc-provider authorize → code → token', 'login.redis', 'anchor.login', 1.5, redisLoginCeiling);
  const pacedLogins = (id: string) => results.logins.find((login) => login.id === id && login.error === undefined && login.pacedP99 !== undefined);
  const atHalfLoad = (ceiling: { id: string; name: string }) => {
    const logins = pacedLogins(ceiling.id);
    return logins === undefined ? `${ceiling.name}: not measured` : `${ceiling.name}: ${fmtMs(logins.pacedP99 ?? 0)} ms at half its own rate (${fmtRate(logins.pacedRate ?? 0)}/s)`;
  };
  for (const row of results.logins.filter((login) => login.id.startsWith('login.'))) {
    const p99 = row.error === undefined ? row.pacedP99 : undefined;
    // The same ceilings as the row's throughput target.
    const bound: Bound = row.id === 'login.redis' ? redisLoginCeiling : dutiesLoginCeiling;
    const ceilingP99 = pacedLogins(bound.id)?.pacedP99;
    list.push({
      name: `${row.label}: p99 latency added by the bridge < 20 ms (at half the saturated rate)`,
      measured: p99 === undefined ? 'not measured' : `${fmtMs(p99)} ms`,
      required: '< 20 ms',
      ceiling: [...(bound.also ?? []), bound].map(atHalfLoad).join('; '),
      beyondCeiling: ceilingP99 === undefined ? undefined : ceilingP99 >= 20,
      met: p99 === undefined ? undefined : p99 < 20,
    });
  }
  const memory = results.memory;
  const memoryOk = memory !== undefined && memory.error === undefined;
  const logins = integer.format(memoryOk ? memory.logins : 100_000);
  const rssTarget = (heap: string, bridge: MemoryDrive | undefined, ceiling: MemoryDrive | undefined): Target => {
    const measured = memoryOk && bridge?.error === undefined ? bridge : undefined;
    const bound = ceiling?.error === undefined ? ceiling : undefined;
    return {
      name: `RSS < 120 MB after ${logins} logins, ${heap} (peak during the run)`,
      measured: measured === undefined ? 'not measured' : `${measured.peakMb.toFixed(0)} MB`,
      required: '< 120 MB',
      ceiling: bound === undefined ? 'the login ceiling: not measured' : `the login ceiling, which keeps nothing, over the same logins with the same heap: ${bound.peakMb.toFixed(0)} MB`,
      beyondCeiling: bound === undefined ? undefined : bound.peakMb >= 120,
      met: measured === undefined ? undefined : measured.peakMb < 120,
    };
  };
  list.push(rssTarget("V8's default heap", memory, memory?.ceiling), rssTarget(`heap held small (\`NODE_OPTIONS='${leanHeapNodeArgs.join(' ')}'\`)`, memory?.lean, memory?.leanCeiling));
  const cold = results.coldStart;
  const coldOk = cold !== undefined && cold.error === undefined;
  list.push({
    name: 'cold start < 500 ms (restart: keys in DATA_DIR)',
    measured: coldOk ? `${cold.keysExistMs.toFixed(0)} ms` : 'not measured',
    required: '< 500 ms',
    met: coldOk ? cold.keysExistMs < 500 : undefined,
  });
  list.push({
    name: 'cold start < 500 ms (first start of the image: creates the RS256 key, code cache shipped)',
    measured: coldOk ? `${cold.imageFirstStartMs.toFixed(0)} ms` : 'not measured',
    required: '< 500 ms',
    met: coldOk ? cold.imageFirstStartMs < 500 : undefined,
  });
  list.push({
    name: 'cold start < 500 ms (first start of a fresh build: creates the key, empty code cache)',
    measured: coldOk ? `${cold.firstStartMs.toFixed(0)} ms` : 'not measured',
    required: '< 500 ms',
    met: coldOk ? cold.firstStartMs < 500 : undefined,
  });
  return list;
}

function verdict(target: Target): string {
  if (target.met === undefined) return 'n/a';
  if (target.met) return 'yes';
  return target.beyondCeiling === true ? '**no**: beyond the ceiling itself' : '**no**';
}

export function markdown(results: Results): string {
  const table = rates(results);
  const { machine } = results;
  const lines: string[] = [];
  lines.push(
    `Run ${machine.date}${results.quick ? ' — **quick run (BENCH_QUICK=1): tiny sizes, the figures mean nothing**' : ''}; took ${Math.round(results.durationSeconds)} s.`,
    '',
    `- Machine: ${machine.cpus} vCPU (${machine.model}), ${machine.memoryGb.toFixed(0)} GB RAM, Linux ${machine.kernel}; load average ${machine.loadBefore} before, ${machine.loadAfter} after.`,
    `- Node ${machine.node}; ${machine.pinned ? 'server under test pinned to core 0, load generator, fake Kakao and Redis to core 1 (taskset)' : '**not pinned** (taskset or a second core missing)'}.`,
    `- Command: \`${results.command}\``,
    `- Settings: ${Object.entries(results.settings).map(([name, value]) => `${name}=${String(value)}`).join(', ')}.`,
    '',
    '### Endpoints',
    '',
    'req/s: median of the runs; p50/p99: latency seen by the load generator (ms); server CPU: busy share of its core used by the server (100 % = saturated); cores busy: core 0 (server) and core 1 (load generator, fake Kakao, Redis), by anyone: core 0 busier than the server means another process took it, core 1 near 100 % means the load side was the limit; req per CPU-s: req/s ÷ server CPU. Ratios are of req/s.',
    '',
    '| row | req/s | p50 ms | p99 ms | server CPU | cores 0 / 1 busy % | req per CPU-s | ÷ ceiling | ÷ oidc-provider |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
    ...results.rows.map((row) => endpointLine(table, row)),
    '',
    '### Full logins',
    '',
    'Logins per second with ' + String(results.settings.loginConcurrency) + ' browsers at once (closed loop); latency added by the server under test per login (the bridge: /authorize + /callback with its two calls to the instant fake Kakao + /token + /userinfo), at saturation and at a paced half of that rate.',
    '',
    '| flow | logins/s | p50 / p99 ms (saturated) | p50 / p99 ms (half load) | server CPU | cores 0 / 1 busy % | logins per CPU-s | ÷ ceiling | ÷ oidc-provider |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
    ...results.logins.map((row) => loginLine(table, row)),
    '',
    loginBound(table),
    '',
  );
  const memory = results.memory;
  lines.push('### Memory', '');
  if (memory === undefined || memory.error !== undefined) {
    lines.push(`Not measured${memory?.error === undefined ? '' : `: ${memory.error}`}.`, '');
  } else {
    const driveLine = (label: string, drive: MemoryDrive | undefined) =>
      drive === undefined || drive.error !== undefined
        ? `| ${label} | not measured${drive?.error === undefined ? '' : `: ${drive.error.replace(/\|/g, '/')}`} | | | | |`
        : `| ${label} | ${integer.format(drive.logins)} in ${drive.seconds.toFixed(0)} s | ${drive.beforeMb.toFixed(1)} MB | ${drive.peakMb.toFixed(1)} MB | ${drive.afterMb.toFixed(1)} MB | — |`;
    const held = `\`${leanHeapNodeArgs.join(' ')}\``;
    lines.push(
      `${integer.format(memory.logins)} logins (${memory.settings}).`,
      '',
      `| server | logins | RSS before | peak | after the logins | ${memory.waitedSeconds.toFixed(0)} s later (TTLs expired, store swept) |`,
      '|---|---:|---:|---:|---:|---:|',
      `| the bridge, memory store | ${integer.format(memory.logins)} in ${memory.seconds.toFixed(0)} s | ${memory.beforeMb.toFixed(1)} MB | ${memory.peakMb.toFixed(1)} MB | ${memory.afterMb.toFixed(1)} MB | ${memory.afterTtlMb.toFixed(1)} MB |`,
      driveLine('the login ceiling (bare Fastify, keeps nothing; bundled like the bridge), the same logins first', memory.ceiling),
      driveLine(`the bridge, memory store, with its heap held small (${held})`, memory.lean),
      driveLine(`the login ceiling with its heap held small (${held})`, memory.leanCeiling),
      '',
    );
  }
  const cold = results.coldStart;
  lines.push(
    '### Cold start',
    '',
    'From spawning `node dist/main.js` to the first 200 from discovery (median), and the CPU time the process used by then (all threads; contention inflates wall time, not this). A first start creates its signing key once it listens, so its first discovery comes before the key: the last line is the time to the first `/jwks` that publishes it, asked for right after that discovery.',
    '',
  );
  if (cold === undefined || cold.error !== undefined) {
    lines.push(`Not measured${cold?.error === undefined ? '' : `: ${cold.error}`}.`, '');
  } else {
    lines.push(
      '| | restart (keys in DATA_DIR, code cache filled) | first start of the image (generates the RS256 key; code cache shipped) | first start of a fresh build (generates the key; empty code cache) |',
      '|---|---:|---:|---:|',
      `| wall time (runs) | ${runsCell(cold.keysExistMs, cold.runs.keysExist)} | ${runsCell(cold.imageFirstStartMs, cold.runs.imageFirstStart)} | ${runsCell(cold.firstStartMs, cold.runs.firstStart)} |`,
      `| CPU time of the bridge | ${cold.keysExistCpuMs.toFixed(0)} ms | ${cold.imageFirstStartCpuMs.toFixed(0)} ms | ${cold.firstStartCpuMs.toFixed(0)} ms |`,
      `| to the first /jwks with the key | ${cold.jwksMs.keysExist.toFixed(0)} ms | ${cold.jwksMs.imageFirstStart.toFixed(0)} ms | ${cold.jwksMs.firstStart.toFixed(0)} ms |`,
      '',
    );
  }
  lines.push(
    '### Targets',
    '',
    'A target the ceiling itself misses (bare Fastify doing only what no server doing this job can skip, same run) is beyond the ceiling.',
    '',
    '| target | measured | required | the ceiling itself | met |',
    '|---|---|---|---|---|',
    ...results.targets.map((target) => `| ${target.name} | ${target.measured} | ${target.required} | ${target.ceiling ?? '—'} | ${verdict(target)} |`),
    '',
  );
  return lines.join('\n');
}

export const startMarker = '<!-- bench:results:start (written by npm run bench) -->';
export const endMarker = '<!-- bench:results:end -->';

/** Replaces the generated block of BENCHMARKS.md, keeping the hand-written text around it. */
export function spliceInto(existing: string | undefined, generated: string): string {
  const block = `${startMarker}\n${generated}\n${endMarker}`;
  if (existing !== undefined) {
    const start = existing.indexOf(startMarker);
    const end = existing.indexOf(endMarker);
    if (start >= 0 && end > start) return existing.slice(0, start) + block + existing.slice(end + endMarker.length);
  }
  return `# Benchmarks\n\n${block}\n`;
}
