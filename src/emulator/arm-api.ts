import { z } from 'zod';
import type { ActionRunCommandService } from './action-run-command';
import { checkApiVersion, supportsTreatFailure } from './api-versions';
import { ArmError, armErrors } from './arm-errors';
import { BUILT_IN_COMMANDS, documentBase, documentFull, findBuiltInCommand } from './builtin-commands';
import type { FaultState } from './faults';
import { describeIssues, type Fleet, type SimulatedVm } from './fleet';
import { OperationRegistry, type Operation } from './operations';
import { resourceGroupBody, runCommandBody, scaleSetBody, virtualMachineBody } from './resource-bodies';
import { routeArmPath, type ArmRoute, type VmTarget } from './router';
import type { RunCommandRecord, RunCommandService } from './run-commands';
import type { ComputePolicyName, Throttle, ThrottleRequest } from './throttle';
import type { RunCommandSpec } from './types';

/**
 * The ARM surface: checks a request the way ARM does (api-version, role,
 * subscription, throttling), then serves it from the fleet and the run
 * command services.
 */

export interface Principal {
  name: string;
  readOnly: boolean;
}

export interface ArmRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** https://host:port the client used, for operation URLs and nextLinks. */
  baseUrl: string;
  principal: Principal;
}

export interface ArmResponse {
  status: number;
  headers: Record<string, string>;
  /** An object to serialize, or JSON already serialized. */
  body?: unknown;
}

const PAGE_SIZE = 100;
const RUN_COMMAND_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/;

// ---------------------------------------------------------------- request bodies

const parameter = z.object({ name: z.string(), value: z.string() });
const identity = z.object({ clientId: z.string().optional(), objectId: z.string().optional() });
const runCommandProperties = z.object({
  source: z
    .object({
      script: z.string().optional(),
      scriptUri: z.string().optional(),
      commandId: z.string().optional(),
      scriptUriManagedIdentity: identity.optional(),
    })
    .optional(),
  parameters: z.array(parameter).optional(),
  protectedParameters: z.array(parameter).optional(),
  asyncExecution: z.boolean().optional(),
  runAsUser: z.string().optional(),
  runAsPassword: z.string().optional(),
  timeoutInSeconds: z.number().int().min(0).optional(),
  outputBlobUri: z.string().optional(),
  errorBlobUri: z.string().optional(),
  outputBlobManagedIdentity: identity.optional(),
  errorBlobManagedIdentity: identity.optional(),
  treatFailureAsDeploymentFailure: z.boolean().optional(),
});
const runCommandPut = z.object({
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  properties: runCommandProperties.optional(),
});
const runCommandPatch = z.object({
  tags: z.record(z.string(), z.string()).optional(),
  properties: runCommandProperties.optional(),
});
const actionInput = z.object({
  commandId: z.string().min(1),
  script: z.array(z.string()).optional(),
  parameters: z.array(parameter).optional(),
});

type RunCommandProperties = z.infer<typeof runCommandProperties>;

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw armErrors.invalidRequestContent(describeIssues(parsed.error));
  return parsed.data;
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

function specFromProperties(p: RunCommandProperties | undefined): RunCommandSpec {
  return {
    source: { ...(p?.source ?? {}) },
    parameters: nonEmpty(p?.parameters),
    protectedParameters: nonEmpty(p?.protectedParameters),
    asyncExecution: p?.asyncExecution ?? false,
    runAsUser: p?.runAsUser || undefined,
    runAsPassword: p?.runAsPassword || undefined,
    timeoutInSeconds: p?.timeoutInSeconds ?? 0,
    outputBlobUri: p?.outputBlobUri || undefined,
    errorBlobUri: p?.errorBlobUri || undefined,
    outputBlobManagedIdentity: p?.outputBlobManagedIdentity,
    errorBlobManagedIdentity: p?.errorBlobManagedIdentity,
    treatFailureAsDeploymentFailure: p?.treatFailureAsDeploymentFailure ?? false,
  };
}

/** Only the properties a PATCH names. */
function partialSpec(p: RunCommandProperties | undefined): Partial<RunCommandSpec> {
  if (!p) return {};
  const out: Partial<RunCommandSpec> = {};
  if (p.source !== undefined) out.source = { ...p.source };
  if (p.parameters !== undefined) out.parameters = nonEmpty(p.parameters);
  if (p.protectedParameters !== undefined) out.protectedParameters = nonEmpty(p.protectedParameters);
  if (p.asyncExecution !== undefined) out.asyncExecution = p.asyncExecution;
  if (p.runAsUser !== undefined) out.runAsUser = p.runAsUser || undefined;
  if (p.runAsPassword !== undefined) out.runAsPassword = p.runAsPassword || undefined;
  if (p.timeoutInSeconds !== undefined) out.timeoutInSeconds = p.timeoutInSeconds;
  if (p.outputBlobUri !== undefined) out.outputBlobUri = p.outputBlobUri || undefined;
  if (p.errorBlobUri !== undefined) out.errorBlobUri = p.errorBlobUri || undefined;
  if (p.outputBlobManagedIdentity !== undefined) out.outputBlobManagedIdentity = p.outputBlobManagedIdentity;
  if (p.errorBlobManagedIdentity !== undefined) out.errorBlobManagedIdentity = p.errorBlobManagedIdentity;
  if (p.treatFailureAsDeploymentFailure !== undefined) out.treatFailureAsDeploymentFailure = p.treatFailureAsDeploymentFailure;
  return out;
}

// ---------------------------------------------------------------- the API

export class ArmApi {
  constructor(
    private readonly deps: {
      fleet: () => Fleet;
      runCommands: RunCommandService;
      actions: ActionRunCommandService;
      operations: OperationRegistry;
      faults: FaultState;
      throttle: Throttle;
    },
  ) {}

  handle(request: ArmRequest): ArmResponse {
    const route = routeArmPath(request.path);
    if (!route) throw armErrors.invalidResourceType(request.path);
    const provider = route.kind === 'resourceGroup' || route.kind === 'resourceGroups' ? 'resources' : 'compute';
    const apiVersion = request.query.get('api-version');
    const problem = checkApiVersion(apiVersion, provider);
    if (problem) throw new ArmError(400, problem);
    const allowed = allowedMethods(route);
    if (!allowed.includes(request.method)) throw armErrors.methodNotAllowed(request.method);
    if (request.method !== 'GET' && request.principal.readOnly) {
      throw armErrors.authorizationFailed(request.principal.name, permissionFor(route, request.method), request.path);
    }
    const fleet = this.deps.fleet();
    if (!fleet.hasSubscription(route.subscriptionId)) throw armErrors.subscriptionNotFound(route.subscriptionId);

    const operation = route.kind === 'operation' ? this.deps.operations.get(route.operationId) : undefined;
    const throttleHeaders = this.admit(route, request, operation);
    const response = this.dispatch(route, request, apiVersion as string, operation);
    response.headers = { ...throttleHeaders, ...response.headers };
    return response;
  }

  private admit(route: ArmRoute, request: ArmRequest, operation: Operation | undefined): Record<string, string> {
    const decision = this.deps.throttle.admit(throttleRequest(route, request, operation));
    if (decision.rejection) {
      const rejection = decision.rejection;
      throw new ArmError(rejection.status, rejection.body, { ...decision.headers, ...rejection.headers });
    }
    return decision.headers;
  }

  private dispatch(route: ArmRoute, request: ArmRequest, apiVersion: string, operation: Operation | undefined): ArmResponse {
    const fleet = this.deps.fleet();
    switch (route.kind) {
      case 'resourceGroups':
        return ok({ value: fleet.resourceGroups(route.subscriptionId).map(resourceGroupBody) });
      case 'resourceGroup': {
        const group = fleet.resourceGroup(route.subscriptionId, route.resourceGroup);
        if (!group) throw armErrors.resourceGroupNotFound(route.resourceGroup);
        return ok(resourceGroupBody(group));
      }
      case 'vmList': {
        if (route.resourceGroup) this.group(route.subscriptionId, route.resourceGroup);
        const vms = route.resourceGroup ? fleet.vmsInResourceGroup(route.subscriptionId, route.resourceGroup) : fleet.vmsInSubscription(route.subscriptionId);
        const instanceView = request.query.get('statusOnly') === 'true' || request.query.get('$expand') === 'instanceView';
        return ok(page(vms, request, (vm) => this.vmBody(vm, instanceView)));
      }
      case 'vm': {
        this.group(route.subscriptionId, route.resourceGroup);
        const vm = this.target(route.subscriptionId, route.resourceGroup, { kind: 'vm', vmName: route.vmName });
        return ok(this.vmBody(vm, request.query.get('$expand') === 'instanceView'));
      }
      case 'scaleSetList': {
        if (route.resourceGroup) this.group(route.subscriptionId, route.resourceGroup);
        const sets = route.resourceGroup ? fleet.scaleSetsInResourceGroup(route.subscriptionId, route.resourceGroup) : fleet.scaleSetsInSubscription(route.subscriptionId);
        return ok(page(sets, request, scaleSetBody));
      }
      case 'scaleSet':
        return ok(scaleSetBody(this.scaleSet(route.subscriptionId, route.resourceGroup, route.scaleSet)));
      case 'scaleSetVmList': {
        const ss = this.scaleSet(route.subscriptionId, route.resourceGroup, route.scaleSet);
        return ok(page(ss.instances, request, (vm) => this.vmBody(vm, request.query.get('$expand') === 'instanceView')));
      }
      case 'scaleSetVm': {
        const vm = this.target(route.subscriptionId, route.resourceGroup, { kind: 'scaleSetVm', scaleSet: route.scaleSet, instanceId: route.instanceId });
        return ok(this.vmBody(vm, request.query.get('$expand') === 'instanceView'));
      }
      case 'runCommandList': {
        const vm = this.target(route.subscriptionId, route.resourceGroup, route.target);
        const expand = request.query.get('$expand') === 'instanceView';
        return ok({ value: this.deps.runCommands.list(vm).map((r) => runCommandBody(vm, r, { expand, apiVersion })) });
      }
      case 'runCommand':
        return this.runCommand(route, request, apiVersion);
      case 'actionRunCommand': {
        const vm = this.target(route.subscriptionId, route.resourceGroup, route.target);
        this.assertRunning(vm);
        const input = parseBody(actionInput, request.body);
        const operationId = this.deps.actions.invoke(vm, input);
        const op = this.deps.operations.get(operationId) as Operation;
        return {
          status: 202,
          headers: { 'azure-asyncoperation': operationUrl(request.baseUrl, op, apiVersion, false), location: operationUrl(request.baseUrl, op, apiVersion, true) },
        };
      }
      case 'commandDocuments':
        return ok({ value: BUILT_IN_COMMANDS.map(documentBase) });
      case 'commandDocument': {
        const doc = findBuiltInCommand(route.commandId);
        if (!doc) throw armErrors.entityNotFound();
        return ok(documentFull(doc));
      }
      case 'operation':
        return operationResponse(operation, request);
    }
  }

  private runCommand(route: Extract<ArmRoute, { kind: 'runCommand' }>, request: ArmRequest, apiVersion: string): ArmResponse {
    const vm = this.target(route.subscriptionId, route.resourceGroup, route.target);
    const service = this.deps.runCommands;
    const existing = service.get(vm, route.runCommandName);
    const notFound = (): ArmError => {
      const parent = route.target.kind === 'vm' ? `Microsoft.Compute/virtualMachines/${route.target.vmName}` : `Microsoft.Compute/virtualMachineScaleSets/${route.target.scaleSet}/virtualMachines/${route.target.instanceId}`;
      return armErrors.resourceNotFound(`${parent}/runCommands/${route.runCommandName}`, route.resourceGroup);
    };
    switch (request.method) {
      case 'GET': {
        if (!existing) throw notFound();
        const expand = request.query.get('$expand') === 'instanceView';
        return ok(this.cachedBody(vm, existing, expand, apiVersion));
      }
      case 'PUT': {
        if (!RUN_COMMAND_NAME.test(route.runCommandName)) {
          throw armErrors.invalidParameter(
            'runCommandName',
            `The run command name '${route.runCommandName}' is invalid: use 1 to 80 letters, digits, '.', '_' or '-', starting with a letter or digit and ending with a letter, digit or '_'.`,
          );
        }
        this.assertRunning(vm);
        const body = parseBody(runCommandPut, request.body);
        const { record, created, operationId } = service.put(vm, route.runCommandName, { location: body.location, tags: body.tags, spec: specFromProperties(body.properties) });
        return this.lroResponse(created ? 201 : 200, vm, record, operationId, request, apiVersion, false);
      }
      case 'PATCH': {
        if (!existing) throw notFound();
        this.assertRunning(vm);
        const body = parseBody(runCommandPatch, request.body);
        const operationId = service.patch(vm, existing, { tags: body.tags, spec: partialSpec(body.properties) });
        return this.lroResponse(200, vm, existing, operationId, request, apiVersion, false);
      }
      case 'DELETE': {
        this.assertRunning(vm);
        const operationId = service.delete(vm, existing);
        if (!operationId) return { status: 204, headers: {} };
        const op = this.deps.operations.get(operationId) as Operation;
        return {
          status: 202,
          headers: {
            'azure-asyncnotification': 'Enabled',
            'azure-asyncoperation': operationUrl(request.baseUrl, op, apiVersion, false),
            location: operationUrl(request.baseUrl, op, apiVersion, true),
          },
        };
      }
      default:
        throw armErrors.methodNotAllowed(request.method);
    }
  }

  private lroResponse(status: number, vm: SimulatedVm, record: RunCommandRecord, operationId: string, request: ArmRequest, apiVersion: string, expand: boolean): ArmResponse {
    const op = this.deps.operations.get(operationId) as Operation;
    return {
      status,
      headers: { 'azure-asyncnotification': 'Enabled', 'azure-asyncoperation': operationUrl(request.baseUrl, op, apiVersion, false) },
      body: runCommandBody(vm, record, { expand, apiVersion }),
    };
  }

  /** Serialized bodies are cached per record until it changes: GET instanceView is the hot path. */
  private cachedBody(vm: SimulatedVm, record: RunCommandRecord, expand: boolean, apiVersion: string): string {
    const key = `${expand}|${supportsTreatFailure(apiVersion)}`;
    let json = record.bodies.get(key);
    if (json === undefined) {
      json = JSON.stringify(runCommandBody(vm, record, { expand, apiVersion }));
      record.bodies.set(key, json);
    }
    return json;
  }

  private vmBody(vm: SimulatedVm, instanceView: boolean): Record<string, unknown> {
    return virtualMachineBody(vm, { instanceView, deallocated: this.deps.faults.vm(vm.key).deallocated });
  }

  private assertRunning(vm: SimulatedVm): void {
    if (this.deps.faults.vm(vm.key).deallocated) throw armErrors.vmNotRunning();
  }

  private group(subscriptionId: string, resourceGroup: string): void {
    if (!this.deps.fleet().resourceGroup(subscriptionId, resourceGroup)) throw armErrors.resourceGroupNotFound(resourceGroup);
  }

  private scaleSet(subscriptionId: string, resourceGroup: string, name: string): ReturnType<Fleet['scaleSet']> & object {
    this.group(subscriptionId, resourceGroup);
    const ss = this.deps.fleet().scaleSet(subscriptionId, resourceGroup, name);
    if (!ss) throw armErrors.resourceNotFound(`Microsoft.Compute/virtualMachineScaleSets/${name}`, resourceGroup);
    return ss;
  }

  private target(subscriptionId: string, resourceGroup: string, target: VmTarget): SimulatedVm {
    this.group(subscriptionId, resourceGroup);
    const fleet = this.deps.fleet();
    if (target.kind === 'vm') {
      const vm = fleet.vm(subscriptionId, resourceGroup, target.vmName);
      if (!vm) throw armErrors.resourceNotFound(`Microsoft.Compute/virtualMachines/${target.vmName}`, resourceGroup);
      return vm;
    }
    this.scaleSet(subscriptionId, resourceGroup, target.scaleSet);
    const vm = fleet.scaleSetVm(subscriptionId, resourceGroup, target.scaleSet, target.instanceId);
    if (!vm) throw armErrors.resourceNotFound(`Microsoft.Compute/virtualMachineScaleSets/${target.scaleSet}/virtualMachines/${target.instanceId}`, resourceGroup);
    return vm;
  }
}

// ---------------------------------------------------------------- helpers

function ok(body: unknown): ArmResponse {
  return { status: 200, headers: {}, body };
}

function allowedMethods(route: ArmRoute): string[] {
  if (route.kind === 'runCommand') return ['GET', 'PUT', 'PATCH', 'DELETE'];
  if (route.kind === 'actionRunCommand') return ['POST'];
  return ['GET'];
}

function permissionFor(route: ArmRoute, method: string): string {
  const scaleSet = 'target' in route && route.target.kind === 'scaleSetVm';
  const base = scaleSet ? 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines' : 'Microsoft.Compute/virtualMachines';
  if (route.kind === 'actionRunCommand') return `${base}/runCommand/action`;
  return `${base}/runCommands/${method === 'DELETE' ? 'delete' : 'write'}`;
}

function vmKeyOf(subscriptionId: string, resourceGroup: string, target: VmTarget): string {
  const key = target.kind === 'vm' ? `${subscriptionId}/${resourceGroup}/${target.vmName}` : `${subscriptionId}/${resourceGroup}/${target.scaleSet}/${target.instanceId}`;
  return key.toLowerCase();
}

function throttleRequest(route: ArmRoute, request: ArmRequest, operation: Operation | undefined): ThrottleRequest {
  const armClass = request.method === 'GET' ? 'reads' : request.method === 'DELETE' ? 'deletes' : 'writes';
  const base = { subscriptionId: route.subscriptionId, principal: request.principal.name, armClass } as const;
  let policy: ComputePolicyName = 'HighCostGet';
  let resourceKey: string | undefined;
  switch (route.kind) {
    case 'runCommand':
    case 'runCommandList':
    case 'actionRunCommand': {
      resourceKey = vmKeyOf(route.subscriptionId, route.resourceGroup, route.target);
      const scaleSet = route.target.kind === 'scaleSetVm';
      if (request.method === 'GET') policy = scaleSet ? 'GetVMScaleSetVM' : 'LowCostGet';
      else if (request.method === 'DELETE') policy = scaleSet ? 'DeleteVMScaleSetVMs' : 'UpdateVM';
      else policy = scaleSet ? 'VMScaleSetVMActions' : 'UpdateVM';
      break;
    }
    case 'vm':
      resourceKey = vmKeyOf(route.subscriptionId, route.resourceGroup, { kind: 'vm', vmName: route.vmName });
      policy = 'LowCostGet';
      break;
    case 'scaleSetVm':
      resourceKey = vmKeyOf(route.subscriptionId, route.resourceGroup, { kind: 'scaleSetVm', scaleSet: route.scaleSet, instanceId: route.instanceId });
      policy = 'GetVMScaleSetVM';
      break;
    case 'operation':
      policy = 'GetOperation';
      resourceKey = operation?.vmKey;
      break;
    case 'commandDocuments':
    case 'commandDocument':
      policy = 'GetSubscriptionInfo';
      break;
    default:
      policy = 'HighCostGet';
  }
  return { ...base, policy, resourceKey };
}

export function operationUrl(baseUrl: string, op: Operation, apiVersion: string, monitor: boolean): string {
  return `${baseUrl}/subscriptions/${op.subscriptionId}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${op.p}${monitor ? '&monitor=true' : ''}&api-version=${apiVersion}`;
}

function operationResponse(op: Operation | undefined, request: ArmRequest): ArmResponse {
  if (!op) throw armErrors.entityNotFound();
  if (request.query.get('monitor') !== 'true') return ok(OperationRegistry.statusBody(op));
  // The Location (monitor) form: 202 while running, then the operation's result.
  if (op.status === 'InProgress') return { status: 202, headers: { location: `${request.baseUrl}${request.path}?${request.query.toString()}` } };
  if (op.kind === 'action' && op.result) return ok({ value: op.result });
  if (op.status === 'Succeeded') return { status: 200, headers: {} };
  const error = op.error ?? { code: op.status, message: `The operation ended ${op.status}.` };
  return { status: op.status === 'Canceled' ? 409 : 500, headers: {}, body: { error } };
}

function page<T>(items: readonly T[], request: ArmRequest, body: (item: T) => unknown): { value: unknown[]; nextLink?: string } {
  const skip = Math.max(0, Number.parseInt(request.query.get('$skiptoken') ?? '0', 10) || 0);
  const value = items.slice(skip, skip + PAGE_SIZE).map(body);
  if (skip + PAGE_SIZE >= items.length) return { value };
  const query = new URLSearchParams(request.query);
  query.set('$skiptoken', String(skip + PAGE_SIZE));
  return { value, nextLink: `${request.baseUrl}${request.path}?${query.toString()}` };
}
