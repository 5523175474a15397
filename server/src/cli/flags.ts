/**
 * Flags that several commands share, spelled one way everywhere. Names used before the flags
 * were made consistent stay accepted as hidden aliases, so scripts written against them still run.
 */
import { Option, type Command } from "commander";
import { CliUsage } from "./errors.js";

/** `--out <file>` (and its old spelling `--output`, hidden). Read it back with `outFile`. */
export function addOutOption(command: Command, description: string): Command {
  return command.option("--out <file>", description).addOption(new Option("--output <file>").hideHelp());
}

/** The file of `--out` or its alias; undefined for standard output. */
export function outFile(opts: { out?: string; output?: string }): string | undefined {
  if (opts.out !== undefined && opts.output !== undefined && opts.out !== opts.output) {
    throw new CliUsage("--out and --output name the same thing: give one");
  }
  return opts.out ?? opts.output;
}
