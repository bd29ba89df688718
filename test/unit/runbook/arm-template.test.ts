import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArmExpressionError, evaluateTemplateString, type ArmScope } from '../../../src/runbook/arm-expressions';
import { type ArmImportOptions, type ArmImportResult, importArmTemplate, isArmTemplate } from '../../../src/runbook/arm-template';
import type { Problem } from '../../../src/runbook/problems';
import type { Runbook } from '../../../src/runbook/runbook';

const root = join(__dirname, '../../..');
const docsTemplate = JSON.parse(readFileSync(join(root, 'examples/arm/two-run-commands.json'), 'utf8')) as unknown;
const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

function imported(result: ArmImportResult): Runbook {
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.runbook;
}

function problemsOf(result: ArmImportResult): Problem[] {
  if (result.ok) throw new Error('accepted');
  return result.problems;
}

type Resource = Record<string, unknown>;

function runCommand(name: string, properties: Record<string, unknown> = { source: { script: 'echo hi' } }, extra: Resource = {}): Resource {
  return { type: 'Microsoft.Compute/virtualMachines/runCommands', apiVersion: '2023-03-01', name, location: 'westus', properties, ...extra };
}

function template(resources: Resource[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { $schema: SCHEMA, contentVersion: '1.0.0.0', resources, ...extra };
}

function importOf(resources: Resource[], extra: Record<string, unknown> = {}, options: ArmImportOptions = {}): ArmImportResult {
  return importArmTemplate(template(resources, extra), options);
}

describe("the Azure docs' two-command template (examples/arm)", () => {
  const options = { name: 'two-run-commands', parameters: { vmName: 'web-001', location: 'westus' } };

  it('imports as two steps, firstRunCommand then secondRunCommand', () => {
    const runbook = imported(importArmTemplate(docsTemplate, options));
    expect(runbook.steps.map((s) => [s.name, s.dependsOn])).toEqual([
      ['firstRunCommand', []],
      ['secondRunCommand', ['firstRunCommand']],
    ]);
  });

  it('keeps each run command’s source, parameters and timeout', () => {
    const [first, second] = imported(importArmTemplate(docsTemplate, options)).steps;
    expect(first).toMatchObject({
      source: { script: 'Write-Host First: Hello World!' },
      parameters: [{ name: 'param1', value: 'value1' }, { name: 'param2', value: 'value2' }],
      timeoutInSeconds: 20,
    });
    expect(second).toMatchObject({ source: { scriptUri: 'http://github.com/myscript.ps1' }, timeoutInSeconds: 60 });
  });

  it('targets the VM named by the vmName parameter, in the location parameter', () => {
    const runbook = imported(importArmTemplate(docsTemplate, options));
    expect(runbook.targets.vms).toEqual(['web-001']);
    expect(runbook.location).toBe('westus');
    expect(runbook.name).toBe('two-run-commands');
  });

  it('warns that its second dependsOn is not a well-formed id, and resolves it by its last segment', () => {
    const result = importArmTemplate(docsTemplate, options);
    expect(result.ok && result.warnings).toContainEqual({
      path: 'resources[1].dependsOn[0]',
      message: expect.stringContaining('taken as a dependency on "firstRunCommand"'),
    });
  });

  it('drops the first command’s dependency on the VM itself', () => {
    expect(imported(importArmTemplate(docsTemplate, options)).steps[0].dependsOn).toEqual([]);
  });

  it('asks for vmName when no value is given for it', () => {
    expect(problemsOf(importArmTemplate(docsTemplate, { parameters: { location: 'westus' } }))[0].message).toContain('declares no parameter "vmName"');
  });

  it('is copied into examples/arm exactly as the Azure docs page shows it', () => {
    // The page's section on ordered run commands (test/fixtures/azure-docs/README.md names the page).
    const section = readFileSync(join(root, 'test/fixtures/azure-docs/run-command-managed-sequential.md'), 'utf8');
    const start = section.indexOf('```json', section.indexOf('**secondRunCommand** will execute after **firstRunCommand**')) + '```json\n'.length;
    expect(start).toBeGreaterThan('```json\n'.length);
    expect(readFileSync(join(root, 'examples/arm/two-run-commands.json'), 'utf8')).toBe(section.slice(start, section.indexOf('```', start)));
  });
});

describe('ARM import', () => {
  it('recognises a template by its $schema, or by resources without steps', () => {
    expect(isArmTemplate({ $schema: SCHEMA })).toBe(true);
    expect(isArmTemplate({ resources: [] })).toBe(true);
    expect(isArmTemplate({ name: 'x', steps: [], resources: [] })).toBe(false);
    expect(isArmTemplate({ name: 'x', steps: [] })).toBe(false);
  });

  it('imports the child-resource style (runCommands nested in the VM)', () => {
    const vm = {
      type: 'Microsoft.Compute/virtualMachines',
      apiVersion: '2023-03-01',
      name: 'web-001',
      resources: [
        { type: 'runCommands', name: 'first', location: 'westus', properties: { source: { script: 'echo 1' } } },
        { type: 'runCommands', name: 'second', location: 'westus', dependsOn: ['first'], properties: { source: { commandId: 'RunShellScript' } } },
      ],
    };
    const runbook = imported(importOf([vm]));
    expect(runbook.steps.map((s) => [s.name, s.dependsOn, s.source])).toEqual([
      ['first', [], { script: 'echo 1' }],
      ['second', ['first'], { commandId: 'RunShellScript' }],
    ]);
    expect(runbook.targets.vms).toEqual(['web-001']);
  });

  it('resolves dependsOn given by resourceId()', () => {
    const runbook = imported(
      importOf([
        runCommand('web-001/first'),
        runCommand('web-001/second', undefined, { dependsOn: ["[resourceId('Microsoft.Compute/virtualMachines/runCommands', 'web-001', 'first')]"] }),
      ]),
    );
    expect(runbook.steps[1].dependsOn).toEqual(['first']);
  });

  it('makes one step of the same run command on several VMs, targeting all of them', () => {
    const runbook = imported(importOf([runCommand('web-001/patch'), runCommand('web-002/patch')]));
    expect(runbook.steps.map((s) => s.name)).toEqual(['patch']);
    expect(runbook.targets.vms).toEqual(['web-001', 'web-002']);
  });

  it('rejects copies of one run command that differ between VMs', () => {
    const [problem] = problemsOf(importOf([runCommand('web-001/patch'), runCommand('web-002/patch', { source: { script: 'echo other' } })]));
    expect(problem).toEqual({ path: 'resources[1]', message: expect.stringContaining('differs from the one on VM "web-001"') });
  });

  it('rejects run commands that address different sets of VMs', () => {
    expect(problemsOf(importOf([runCommand('web-001/a'), runCommand('web-002/b')]))[0].message).toContain('split the template by machine');
  });

  const scaleSetCommands = [
    { ...runCommand('web-vmss/0/patch'), type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands' },
    { ...runCommand('web-vmss/1/patch'), type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands' },
  ];

  it('imports scale set VM run commands as scale set targets', () => {
    const runbook = imported(importOf(scaleSetCommands, {}, { resourceGroup: 'fleet-rg-01' }));
    expect(runbook.targets.scaleSets).toEqual([{ name: 'web-vmss', instanceIds: ['0', '1'] }]);
  });

  it('asks for the resource group of scale set run commands', () => {
    expect(problemsOf(importOf(scaleSetCommands))).toEqual([{ path: 'resources[0]', message: expect.stringContaining('give the resourceGroup in the import options') }]);
  });

  it('scopes the VMs to the resource group and subscription given in the options', () => {
    const runbook = imported(importOf([runCommand('web-001/a')], {}, { resourceGroup: 'fleet-rg-01', subscriptionId: '00000000-0000-0000-0000-000000000000' }));
    expect(runbook.targets).toMatchObject({ subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroups: ['fleet-rg-01'], vms: ['web-001'] });
  });

  it('takes the location from the options when no run command gives one', () => {
    const { location: _location, ...noLocation } = runCommand('web-001/a');
    expect(imported(importOf([noLocation], {}, { location: 'eastus' })).location).toBe('eastus');
  });

  it('reports resourceGroup().location as unknown unless a location is given', () => {
    const rc = runCommand('web-001/a', undefined, { location: '[resourceGroup().location]' });
    expect(problemsOf(importOf([rc]))[0]).toEqual({ path: 'resources[0].location', message: expect.stringContaining('give the location in the import options') });
    expect(imported(importOf([rc], {}, { location: 'westus' })).location).toBe('westus');
  });

  it('leaves out the blob URIs fleetcmd mints, with a warning', () => {
    const result = importOf([runCommand('web-001/a', { source: { script: 'x' }, outputBlobUri: 'https://a/b', errorBlobUri: 'https://a/c' })]);
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual(['resources[0].properties.outputBlobUri', 'resources[0].properties.errorBlobUri']);
  });

  it('maps every Azure run command property onto the step', () => {
    const properties = {
      source: { scriptUri: 'https://a.blob.core.windows.net/s/x.sh', scriptUriManagedIdentity: { clientId: 'c' } },
      parameters: [{ name: 'A', value: '1' }],
      protectedParameters: [{ name: 'S', value: 's' }],
      runAsUser: 'u',
      runAsPassword: 'p',
      timeoutInSeconds: 5,
      asyncExecution: true,
      treatFailureAsDeploymentFailure: true,
    };
    expect(imported(importOf([runCommand('web-001/a', properties)])).steps[0]).toEqual({
      name: 'a',
      dependsOn: [],
      source: { scriptUri: 'https://a.blob.core.windows.net/s/x.sh', scriptUriManagedIdentity: { clientId: 'c' } },
      parameters: [{ name: 'A', value: '1' }],
      protectedParameters: [{ name: 'S', value: 's' }],
      runAsUser: 'u',
      runAsPassword: 'p',
      timeoutInSeconds: 5,
      asyncExecution: true,
      treatFailureAsDeploymentFailure: true,
    });
  });

  it('skips a resource whose condition is false', () => {
    const runbook = imported(importOf([runCommand('web-001/a'), runCommand('web-001/b', undefined, { condition: '[false()]' })]));
    expect(runbook.steps.map((s) => s.name)).toEqual(['a']);
  });

  it('reports copy loops as unsupported', () => {
    expect(problemsOf(importOf([runCommand('web-001/a', undefined, { copy: { name: 'c', count: 2 } })]))[0].path).toBe('resources[0].copy');
  });

  it('reports a template with no run command', () => {
    expect(problemsOf(importOf([{ type: 'Microsoft.Storage/storageAccounts', name: 's' }]))).toEqual([
      { path: 'resources', message: expect.stringContaining('holds no Microsoft.Compute/virtualMachines/runCommands') },
    ]);
  });

  it('reports runbook problems at the template paths they came from', () => {
    expect(problemsOf(importOf([runCommand('web-001/a', { source: { script: 'x' }, timeoutInSeconds: -3 })]))).toEqual([
      { path: 'resources[0].properties.timeoutInSeconds', message: expect.stringContaining('-3 is negative') },
    ]);
  });

  it('reports an unknown source field with a did-you-mean', () => {
    expect(problemsOf(importOf([runCommand('web-001/a', { source: { scirpt: 'x' } })]))).toContainEqual({
      path: 'resources[0].properties.source.scirpt',
      message: 'unknown field; did you mean "script"?',
    });
  });

  it('reports a run command name breaking Azure rules at the resource name', () => {
    expect(problemsOf(importOf([runCommand('web-001/bad name')]))).toEqual([{ path: 'resources[0].name', message: expect.stringContaining('contains " "') }]);
  });
});

describe('ARM parameters and variables', () => {
  const declared = { vmName: { type: 'string', defaultValue: 'web-001' }, count: { type: 'int', defaultValue: 3 }, region: { type: 'string', allowedValues: ['westus', 'eastus'], defaultValue: 'westus' } };

  it('uses defaultValue when no value is given', () => {
    expect(imported(importOf([runCommand("[concat(parameters('vmName'), '/a')]")], { parameters: declared })).targets.vms).toEqual(['web-001']);
  });

  it('uses a given value over defaultValue', () => {
    const result = importOf([runCommand("[concat(parameters('vmName'), '/a')]")], { parameters: declared }, { parameters: { vmName: 'db-004' } });
    expect(imported(result).targets.vms).toEqual(['db-004']);
  });

  it('evaluates a defaultValue that is itself an expression', () => {
    const parameters = { vmName: { type: 'string', defaultValue: "[concat('web-', '00', '7')]" } };
    expect(imported(importOf([runCommand("[concat(parameters('vmName'), '/a')]")], { parameters })).targets.vms).toEqual(['web-007']);
  });

  it('reports a parameter without a value once, where it is declared', () => {
    const parameters = { vmName: { type: 'string' } };
    const result = importOf([runCommand("[concat(parameters('vmName'), '/a')]"), runCommand("[concat(parameters('vmName'), '/b')]")], { parameters });
    expect(problemsOf(result)).toEqual([{ path: 'parameters.vmName', message: expect.stringContaining('has no value') }]);
  });

  it('reports a value of the wrong type', () => {
    const result = importOf([runCommand('web-001/a', { source: { script: 'x' }, timeoutInSeconds: "[parameters('count')]" })], { parameters: declared }, { parameters: { count: 'three' } });
    expect(problemsOf(result)).toEqual([{ path: 'parameters.count', message: 'is declared int, but its value is "three"' }]);
  });

  it('reports a value outside allowedValues with a did-you-mean', () => {
    const rc = runCommand('web-001/a', undefined, { location: "[parameters('region')]" });
    const result = importOf([rc], { parameters: declared }, { parameters: { region: 'westu' } });
    expect(problemsOf(result)[0].message).toBe('"westu" is not one of its allowedValues; did you mean "westus"?');
  });

  it('reports a parameter the template neither declares nor is given', () => {
    expect(problemsOf(importOf([runCommand("[concat(parameters('vnName'), '/a')]")], { parameters: declared }))[0].message).toContain(
      'declares no parameter "vnName"; did you mean "vmName"?',
    );
  });

  it('evaluates variables, including variables built from others', () => {
    const variables = { vm: 'web-001', command: "[concat(variables('vm'), '/patch')]" };
    expect(imported(importOf([runCommand("[variables('command')]")], { variables })).steps[0].name).toBe('patch');
  });

  it('reports a variable that refers to itself', () => {
    const variables = { loop: "[variables('loop')]" };
    expect(problemsOf(importOf([runCommand("[variables('loop')]")], { variables }))[0].message).toContain('refers to itself');
  });
});

describe('ARM expressions', () => {
  const scope: ArmScope = {
    parameter: (name) => ({ vmName: 'web-001', list: ['a', 'b'], obj: { Inner: 'deep' } })[name],
    variable: (name) => ({ prefix: 'fleet' })[name],
    subscriptionId: 'sub',
    resourceGroup: 'rg',
  };
  const ev = (text: string) => evaluateTemplateString(text, scope);

  it('leaves plain strings alone', () => {
    expect(ev('echo hi')).toBe('echo hi');
  });

  it("turns a leading '[[' into a literal '['", () => {
    expect(ev('[[not an expression]')).toBe('[not an expression]');
  });

  it("reads string literals with '' as an escaped quote", () => {
    expect(ev("[concat('it''s ', 'fine')]")).toBe("it's fine");
  });

  it('concatenates strings, numbers and arrays', () => {
    expect(ev("[concat('a', 1, 'b')]")).toBe('a1b');
    expect(ev("[concat(parameters('list'), parameters('list'))]")).toEqual(['a', 'b', 'a', 'b']);
  });

  it('calls functions case-insensitively, as ARM does', () => {
    expect(ev("[CONCAT(Parameters('vmName'), '/x')]")).toBe('web-001/x');
  });

  it('reads properties and indexes', () => {
    expect(ev("[parameters('list')[1]]")).toBe('b');
    expect(ev("[parameters('obj').inner]")).toBe('deep');
    expect(ev("[parameters('obj')['Inner']]")).toBe('deep');
  });

  it.each([
    ["[resourceId('Microsoft.Compute/virtualMachines', 'vm1')]", '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1'],
    ["[resourceId('other-rg', 'Microsoft.Compute/virtualMachines', 'vm1')]", '/subscriptions/sub/resourceGroups/other-rg/providers/Microsoft.Compute/virtualMachines/vm1'],
    ["[resourceId('s2', 'rg2', 'Microsoft.Compute/virtualMachines/runCommands', 'vm1', 'cmd')]", '/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/vm1/runCommands/cmd'],
  ])('builds %s as ARM does', (expression, id) => {
    expect(ev(expression)).toBe(id);
  });

  it('reports a resourceId() with the wrong number of names', () => {
    expect(() => ev("[resourceId('Microsoft.Compute/virtualMachines/runCommands', 'vm1')]")).toThrow('needs 2 names');
  });

  it('formats, lowers and uppers strings', () => {
    expect(ev("[format('{0}-{1}', variables('prefix'), 7)]")).toBe('fleet-7');
    expect(ev("[toUpper(toLower('AbC'))]")).toBe('ABC');
  });

  it('reports an unsupported function by name, listing what is supported', () => {
    expect(() => ev("[uniqueString('x')]")).toThrow(/template function "uniqueString" is not supported.*concat\(\)/);
  });

  it('suggests the supported function a misspelt one meant', () => {
    expect(() => ev("[concatt('a')]")).toThrow('unknown template function "concatt"; did you mean "concat"?');
  });

  it.each(["[concat('a']", "[concat('a)]", '[concat(,)]', "[concat('a') 'b']", '[!]'])('reports the malformed expression %s', (text) => {
    expect(() => ev(text)).toThrow(ArmExpressionError);
  });
});

describe('ARM secure parameters', () => {
  it('are never repeated back in problems', () => {
    const parameters = { password: { type: 'securestring', allowedValues: ['only-this'] } };
    const rc = runCommand('web-001/a', { source: { script: 'x' }, runAsUser: 'u', runAsPassword: "[parameters('password')]" });
    const found = problemsOf(importOf([rc], { parameters }, { parameters: { password: 'hunter2-secret' } }));
    expect(found).toEqual([{ path: 'parameters.password', message: 'its value is not one of its allowedValues' }]);
  });
});
