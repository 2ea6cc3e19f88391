import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Writable } from "node:stream";

/** Where a command writes: data to stdout, everything else (progress, warnings, errors) to stderr. */
export class Output {
  constructor(
    readonly stdout: Writable & { isTTY?: boolean },
    readonly stderr: Writable & { isTTY?: boolean },
    readonly json: boolean,
  ) {}

  /** Colour and interactive views only when stdout is a terminal and JSON was not asked for. */
  get rich(): boolean {
    return Boolean(this.stdout.isTTY) && !this.json && !process.env["NO_COLOR"];
  }

  /** One protobuf message: proto3 JSON with --json, else the human rendering. */
  message<D extends DescMessage>(schema: D, message: MessageShape<D> | undefined, human: () => string): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(message ? toJson(schema, message) : null, null, 2)}\n`);
    } else {
      this.stdout.write(`${human()}\n`);
    }
  }

  /** A list of protobuf messages: a JSON array with --json, else a table. */
  list<D extends DescMessage>(schema: D, items: MessageShape<D>[], columns: Column<MessageShape<D>>[], empty: string): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(items.map((i) => toJson(schema, i)), null, 2)}\n`);
      return;
    }
    if (items.length === 0) {
      this.info(empty);
      return;
    }
    this.stdout.write(`${table(items, columns, this.rich)}\n`);
  }

  /** Plain JSON data (reports) or text. */
  data(value: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  }

  info(line: string): void {
    this.stderr.write(`${line}\n`);
  }

  /** Bold when rich. */
  strong(text: string): string {
    return this.rich ? `\u001b[1m${text}\u001b[22m` : text;
  }
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: "left" | "right";
}

/** A plain-text table: header, rows, columns padded to their widest cell. */
export function table<T>(rows: T[], columns: Column<T>[], bold = false): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => [...(row[i] as string)].length)));
  const pad = (text: string, i: number) => {
    const gap = " ".repeat(Math.max(0, (widths[i] as number) - [...text].length));
    return columns[i]?.align === "right" ? gap + text : text + gap;
  };
  const header = columns.map((c, i) => pad(c.header, i)).join("  ").trimEnd();
  const lines = cells.map((row) => row.map((cell, i) => pad(cell, i)).join("  ").trimEnd());
  return [bold ? `\u001b[1m${header}\u001b[22m` : header, ...lines].join("\n");
}
