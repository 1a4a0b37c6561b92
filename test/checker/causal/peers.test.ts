import { describe, expect, it } from 'vitest';
import { checkCausal } from '../../../src/checker/causal/index.js';
import { readHistoryFile } from '../../../src/history/read.js';
import { causalManifest } from '../../peers.js';

describe('causal checker on the POPL17 Figure 2 histories (tla-causal-consistency)', () => {
  for (const entry of causalManifest()) {
    it(`${entry.file}: CC ${entry.expected.CC}, CCv ${entry.expected.CCv}, CM ${entry.expected.CM}`, async () => {
      const history = await readHistoryFile(entry.path);
      const result = checkCausal(history, {});
      expect(result.models).toEqual({
        CC: entry.expected.CC,
        CCv: entry.expected.CCv,
        CM: entry.expected.CM,
      });
      expect(result.valid).toBe(entry.expected.CCv);
      if (!entry.expected.CCv) expect(result.anomalies.length).toBeGreaterThan(0);
      for (const a of result.anomalies) {
        expect(a.ops.length).toBeGreaterThan(0);
        expect(a.explanation.length).toBeGreaterThan(20);
      }
    });
  }
});
