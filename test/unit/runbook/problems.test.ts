import { closest, didYouMean, editDistance, formatPath, parsePath, sortProblems } from '../../../src/runbook/problems';

describe('did-you-mean', () => {
  it('suggests dependsOn for dependOn', () => {
    expect(didYouMean('dependOn', ['name', 'dependsOn', 'script'])).toBe('; did you mean "dependsOn"?');
  });

  it('ignores letter case when comparing', () => {
    expect(closest('dependson', ['dependsOn'])).toBe('dependsOn');
  });

  it('suggests the longer field a cut-short word starts', () => {
    expect(closest('val', ['name', 'value'])).toBe('value');
  });

  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('scirpt', 'script')).toBe(1);
    expect(closest('scirpt', ['script', 'scriptUri'])).toBe('script');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(didYouMean('colour', ['waves', 'maxConcurrency'])).toBe('');
  });

  it('never suggests the word itself', () => {
    expect(closest('patch', ['patch'])).toBeUndefined();
  });
});

describe('paths', () => {
  it('writes indices in brackets and names with dots', () => {
    expect(formatPath(['steps', 2, 'dependsOn', 0])).toBe('steps[2].dependsOn[0]');
  });

  it('quotes keys that are not plain names', () => {
    expect(formatPath(['targets', 'tags', 'cost center'])).toBe('targets.tags["cost center"]');
    expect(formatPath(['targets', 'tags', 'cost-center'])).toBe('targets.tags.cost-center');
  });

  it('reads back what it writes', () => {
    for (const path of [['steps', 2, 'dependsOn', 0], ['targets', 'tags', 'a b'], ['x-defaults'], []]) {
      expect(parsePath(formatPath(path))).toEqual(path);
    }
  });
});

describe('sortProblems', () => {
  it('orders by line and keeps problems without a line last, as found', () => {
    const sorted = sortProblems([{ path: 'b', message: '' }, { path: 'c', message: '', line: 9 }, { path: 'a', message: '' }, { path: 'd', message: '', line: 2 }]);
    expect(sorted.map((p) => p.path)).toEqual(['d', 'c', 'b', 'a']);
  });
});
