/** Details of the machine a benchmark ran on, printed first so figures can be compared. */
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export interface MachineDetails {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started: above the core count, other work competed. */
  load1: number;
}

export function machineDetails(): MachineDetails {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${osType()} ${release()} ${process.arch}`,
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function formatMachine(m: MachineDetails): string {
  return [
    `CPU:   ${m.cpuModel} (${m.cores} cores)`,
    `RAM:   ${m.ramGiB} GiB`,
    `Node:  ${m.node}`,
    `OS:    ${m.os}`,
    `Load:  ${m.load1} (1-min average at start${m.load1 > m.cores ? '; the machine was busy, figures are pessimistic' : ''})`,
  ].join('\n');
}
