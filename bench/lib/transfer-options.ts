import { Command } from 'commander';
import { positiveIntegerOptions } from './integer-options';

/** The options of the file-transfer benchmarks (packages, storage): one big file, then parallel uploads. */
export interface TransferOptions {
  fileMib: number;
  parallel: number;
  parallelMib: number;
  repeats: number;
}

export function fileTransferOptions(name: string): TransferOptions {
  const raw = new Command()
    .name(name)
    .option('--file-mib <n>', 'size of the single file in MiB', '1024')
    .option('--parallel <n>', 'parallel uploads', '8')
    .option('--parallel-mib <n>', 'size of each parallel upload in MiB', '100')
    .option('--repeats <n>', 'runs of each single-file transfer (the median is reported)', '3')
    .parse()
    .opts<Record<keyof TransferOptions, string>>();
  return positiveIntegerOptions(raw);
}
