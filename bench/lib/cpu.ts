/**
 * CPU time spent by the processes of a run, read from /proc (Linux; elsewhere every reading is
 * undefined and the bench prints none). On a machine of two cores, the sum over all processes
 * per delivery is what bounds throughput: 2 s of CPU per second in all.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux the bench runs on). */
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) of a process, with `isTree` also of its children: those alive now
 * and those it has waited for (Postgres's backends come and go under the postmaster).
 */
export function cpuSecondsOf(pid: number | undefined, isTree = false): number | undefined {
  if (pid === undefined) return undefined;
  const fields = statFields(pid);
  if (!fields) return undefined;
  // After the name: state is [0], utime [11], stime [12], cutime [13], cstime [14].
  let ticks = Number(fields[11]) + Number(fields[12]);
  if (isTree) {
    ticks += Number(fields[13]) + Number(fields[14]);
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const child = statFields(Number(name));
      if (child && Number(child[1]) === pid) ticks += Number(child[11]) + Number(child[12]);
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine spent busy (all cores, every process: also work not ours). */
export function machineCpuSeconds(): number | undefined {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
    const values = ticks.map(Number);
    // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
    const busy = values.reduce((sum, value) => sum + value, 0) - values[3]! - values[4]!;
    return busy / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The process of this run: the bench itself (its webhook receiver and polling). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** A named CPU reading taken before and after the timed part; null when not on Linux. */
export type TCpuProbe = () => number | undefined;

/** Milliseconds of CPU per delivery by process, from two readings of the same probes. */
export function cpuPerDelivery(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  deliveries: number,
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, start] of Object.entries(before)) {
    const end = after[name];
    if (start === undefined || end === undefined || deliveries === 0) continue;
    result[name] = Math.round(((end - start) * 1000 * 100) / deliveries) / 100;
  }
  return result;
}
