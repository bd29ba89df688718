import { dedupeAndSort } from '../../../src/activities/targets';
import { splitTargetKey, targetKey, targetName, targetWorkflowId, targetWorkflowIdOfKey, type TargetRef } from '../../../src/runbook/execution';

const A = '00000000-0000-0000-0000-0000000000aa';
const B = '00000000-0000-0000-0000-0000000000bb';
const vm = (subscriptionId: string, resourceGroup: string, vmName: string, location?: string): TargetRef => ({ kind: 'vm', subscriptionId, resourceGroup, vmName, ...(location ? { location } : {}) });

describe('a target key', () => {
  it('is the subscription, the resource group and the name: the same rg/vm in two subscriptions are two keys', () => {
    expect(targetKey(vm(A, 'rg', 'web'))).toBe(`${A}/rg/web`);
    expect(targetKey(vm(A, 'rg', 'web'))).not.toBe(targetKey(vm(B, 'rg', 'web')));
  });

  it('names a scale-set instance by its scale set and instance id', () => {
    expect(targetKey({ kind: 'vmssVm', subscriptionId: A, resourceGroup: 'rg', scaleSetName: 'ss', instanceId: '3' })).toBe(`${A}/rg/ss/3`);
  });

  it('writes the subscription lower-case, whatever case it came in, and leaves the location out', () => {
    expect(targetKey(vm(A.toUpperCase(), 'rg', 'web', 'eastus'))).toBe(targetKey(vm(A, 'rg', 'web')));
  });

  it('splits back into the subscription and the name within it', () => {
    const t = vm(A, 'rg', 'web');
    expect(splitTargetKey(targetKey(t))).toEqual({ subscriptionId: A, name: targetName(t) });
    expect(targetName(t)).toBe('rg/web');
  });

  it('makes the target workflow id, from a ref or from a key alike', () => {
    const t = vm(B, 'rg', 'web');
    expect(targetWorkflowId('r1', t)).toBe(`r1/${B}/rg/web`);
    expect(targetWorkflowIdOfKey('r1', targetKey(t))).toBe(targetWorkflowId('r1', t));
    expect(targetWorkflowId('r1', vm(A, 'rg', 'web'))).not.toBe(targetWorkflowId('r1', t));
  });
});

describe('dedupeAndSort', () => {
  it('keeps the same rg/vm of two subscriptions and drops a machine listed twice in another case', () => {
    const out = dedupeAndSort([vm(B, 'rg', 'web'), vm(A, 'RG', 'WEB'), vm(A, 'rg', 'web', 'westus'), vm(B, 'rg', 'web')]);
    expect(out.map(targetKey)).toEqual([`${A}/RG/WEB`, `${B}/rg/web`]);
  });
});
