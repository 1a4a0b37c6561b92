/// <reference lib="dom" />
/**
 * The shapes the page's script (client.ts and its parts) shares: the timeline's meta as the
 * page reads it, the unpacked rows, and the view every part draws from. Types only: nothing
 * here reaches the page.
 */

export type Col = 'start' | 'dur' | 'lane' | 'proc' | 'key' | 'node' | 'f' | 'type';
export type Partial = { key: string; ops: number[]; stuck: number; states: string[]; statesFrom: number };
export type Meta = {
  count: number;
  unit: number;
  lanes: number;
  laneLabels: string[];
  keys: string[];
  nodes: string[];
  fs: string[];
  offsets: Record<Col, number>;
  widths: Record<Col, number>;
  values: { input: number; output: number; pairs: number; pairCount: number; table: number };
  faults: Array<{ start: number; end: number; label: string }>;
  anomalies: Array<{ title: string; text: string; ops: number[]; key?: string }>;
  partials: Partial[];
  open: number;
};
export type U = Uint8Array | Uint16Array | Uint32Array;

/** The rows, unpacked: absolute starts, the other columns as packed, and what is derived once. */
export interface Rows {
  n: number;
  st: Uint32Array;
  du: U;
  ln: U;
  pr: U;
  ky: U;
  nd: U;
  fx: U;
  tb: U;
  /** The latest end of any completed operation (or start of any), the longest duration. */
  lastEnd: number;
  maxDur: number;
  /** Rows never completed (drawn to lastEnd). */
  openOps: number[];
  /** Witness rows of the anomaly shown. */
  mark: Uint8Array;
  /** 0 ok, 1 fail, 2 info. */
  ty(i: number): number;
  end(i: number): number;
  /** First row starting at or after t. */
  lowerBound(t: number): number;
}

/** What is shown: the canvas, the time range [a, b], the anomaly, the filters, the partial linearization. */
export interface View {
  meta: Meta;
  rows: Rows;
  api: Record<string, unknown>;
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  tip: HTMLElement;
  readout: HTMLElement;
  LEFT: number;
  AXIS: number;
  COLORS: string[];
  laneH: number;
  a: number;
  b: number;
  current: number;
  filter: { key: number; proc: number; node: number };
  shown(i: number): boolean;
  // The partial linearization shown: its rows, and each one's linearization point (the
  // earliest moment inside the operation's interval not before the previous point).
  partial: { on: boolean; index: number; rows: Int32Array; points: Float64Array; step: Map<number, number> };
}

export type DrawPartial = (x: (t: number) => number, w: number) => { points: number; stuck: boolean };
