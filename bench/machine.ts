/** Details of the machine a benchmark ran on, printed first so figures can be compared. */
import { cpus, release, totalmem, type as osType } from 'node:os';

export interface MachineDetails {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
}

export function machineDetails(): MachineDetails {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${osType()} ${release()} ${process.arch}`,
  };
}

export function formatMachine(m: MachineDetails): string {
  return [
    `CPU:   ${m.cpuModel} (${m.cores} cores)`,
    `RAM:   ${m.ramGiB} GiB`,
    `Node:  ${m.node}`,
    `OS:    ${m.os}`,
  ].join('\n');
}
