/** Small histories for the set and counter checkers: hand-written scripts and random ones. */
import fc from 'fast-check';
import type { History, Key, Op, OpType, Value } from '../../src/history/op.js';

export type Event = [process: number, type: OpType, f: string, value: Value, key?: Key];

/** A history from events in order (times: 1 ms apart). */
export function script(events: Event[]): History {
  const ops: Op[] = events.map(([process, type, f, value, key], index) => ({
    index,
    time: index * 1_000_000,
    process,
    type,
    f,
    value,
    ...(key === undefined ? {} : { key }),
  }));
  return { ops, realTime: true };
}

type Kind = 'set' | 'counter';
const outcome = fc.constantFrom<OpType>('ok', 'ok', 'ok', 'ok', 'ok', 'fail', 'info');

/**
 * Random concurrent histories: at each step a process either completes its open operation or
 * invokes a new one; a process whose operation ended `info` is retired for a fresh id.
 */
export function randomHistory(kind: Kind) {
  const step = fc.record({
    process: fc.integer({ min: 0, max: 3 }),
    key: fc.constantFrom('a', 'b'),
    read: fc.boolean(),
    type: outcome,
    delta: fc.integer({ min: -3, max: 5 }),
    mask: fc.noBias(fc.tuple(fc.integer(), fc.integer())),
    counterValue: fc.integer({ min: -6, max: 15 }),
    nullRead: fc.integer({ min: 0, max: 9 }),
  });
  return fc.array(step, { minLength: 6, maxLength: 60 }).map((steps) => build(kind, steps));
}

function build(
  kind: Kind,
  steps: {
    process: number;
    key: string;
    read: boolean;
    type: OpType;
    delta: number;
    mask: [number, number];
    counterValue: number;
    nullRead: number;
  }[],
): History {
  const events: Event[] = [];
  const ids = [0, 1, 2, 3];
  let nextId = 4;
  const open = new Map<number, { f: string; value: Value; key: string }>();
  let element = 0;
  const added = new Map<string, number[]>();
  for (const s of steps) {
    const process = ids[s.process]!;
    const pending = open.get(process);
    if (pending) {
      open.delete(process);
      const type = pending.f === 'read' && s.type !== 'ok' ? 'fail' : s.type;
      let value = pending.value;
      if (pending.f === 'read' && type === 'ok') {
        const counter = s.nullRead === 0 ? null : s.counterValue;
        value = kind === 'set' ? setRead(added.get(pending.key) ?? [], s) : counter;
      }
      events.push([process, type, pending.f, value, pending.key]);
      if (type === 'info') ids[s.process] = nextId++;
      continue;
    }
    const f = s.read ? 'read' : kind === 'set' ? 'add' : 'incr';
    const value = s.read ? null : kind === 'set' ? element++ : s.delta;
    open.set(process, { f, value, key: s.key });
    if (f === 'add') added.set(s.key, [...(added.get(s.key) ?? []), value as number]);
    events.push([process, 'invoke', f, value, s.key]);
  }
  return script(events);
}

/** A read of a set: each element added so far with probability 3/4; rarely null or with a stranger. */
function setRead(added: number[], s: { mask: [number, number]; nullRead: number }): Value {
  if (s.nullRead === 0) return null;
  const shown = added.filter((_, i) => ((s.mask[0] | s.mask[1]) >>> (i % 32)) & 1);
  return s.nullRead === 1 ? [...shown, 99] : shown;
}
