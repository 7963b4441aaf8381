import { describe, expect, it } from 'vitest';
import { epochSeries } from '../runs/run-events';
import { epochEvents } from './shared-epochs';

const ep = (epoch: number, loss: number, nodeId = 'train') => ({ nodeId, metrics: { epoch, loss } });

describe('epochEvents', () => {
  it('keeps one attempt as it is', () => {
    const s = epochSeries(epochEvents([ep(1, 0.9), ep(2, 0.5), ep(3, 0.3)]));
    expect(s.get('train')?.map((p) => p.loss)).toEqual([0.9, 0.5, 0.3]);
  });

  it('draws only the last attempt when the epoch counter restarts', () => {
    const s = epochSeries(epochEvents([ep(1, 0.9), ep(2, 0.8), ep(1, 0.7), ep(2, 0.4)]));
    expect(s.get('train')?.map((p) => p.loss)).toEqual([0.7, 0.4]);
  });

  it('keeps separate training nodes apart', () => {
    const s = epochSeries(epochEvents([ep(1, 0.9, 'a'), ep(1, 0.6, 'b'), ep(2, 0.5, 'a'), ep(2, 0.2, 'b')]));
    expect(s.get('a')?.length).toBe(2);
    expect(s.get('b')?.map((p) => p.loss)).toEqual([0.6, 0.2]);
  });
});
