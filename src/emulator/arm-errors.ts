import type { ArmErrorBody } from './types';

/**
 * An error answered the way ARM answers: a status, `{"error":{"code","message"}}`
 * and sometimes headers (Retry-After, x-ms-failure-cause). Handlers throw it;
 * the server turns it into the response.
 */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly body: ArmErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.name = 'ArmError';
  }

  get code(): string {
    return this.body.code;
  }
}

const NOT_FOUND_FIX = 'For more details please go to https://aka.ms/ARMResourceNotFoundFix';

export const armErrors = {
  missingToken: (): ArmError =>
    new ArmError(
      401,
      { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." },
      { 'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."' },
    ),
  invalidToken: (): ArmError =>
    new ArmError(
      401,
      { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' },
      { 'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token is invalid."' },
    ),
  authorizationFailed: (principal: string, action: string, scope: string): ArmError =>
    new ArmError(
      403,
      {
        code: 'AuthorizationFailed',
        message: `The client '${principal}' with object id '${principal}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      },
      { 'x-ms-failure-cause': 'gateway' },
    ),
  subscriptionNotFound: (subscriptionId: string): ArmError =>
    new ArmError(404, { code: 'SubscriptionNotFound', message: `The subscription '${subscriptionId}' could not be found.` }),
  resourceGroupNotFound: (resourceGroup: string): ArmError =>
    new ArmError(404, { code: 'ResourceGroupNotFound', message: `Resource group '${resourceGroup}' could not be found.` }),
  /** `type` is the resource type path after the provider, e.g. "Microsoft.Compute/virtualMachines/vm1/runCommands/rc". */
  resourceNotFound: (typeAndName: string, resourceGroup: string): ArmError =>
    new ArmError(404, {
      code: 'ResourceNotFound',
      message: `The Resource '${typeAndName}' under resource group '${resourceGroup}' was not found. ${NOT_FOUND_FIX}`,
    }),
  entityNotFound: (): ArmError => new ArmError(404, { code: 'NotFound', message: 'The entity was not found in this Azure location.' }),
  invalidResourceType: (path: string): ArmError =>
    new ArmError(404, { code: 'InvalidResourceType', message: `The resource type could not be found for the request path '${path}'.` }),
  methodNotAllowed: (method: string): ArmError =>
    new ArmError(405, { code: 'MethodNotAllowed', message: `The requested method '${method}' is not allowed on this resource.` }),
  invalidRequestContent: (detail: string): ArmError =>
    new ArmError(400, { code: 'InvalidRequestContent', message: `The request content was invalid and could not be deserialized: '${detail}'.` }),
  invalidParameter: (target: string, message: string): ArmError =>
    new ArmError(400, { code: 'InvalidParameter', message, target }),
  locationRequired: (): ArmError =>
    new ArmError(400, { code: 'LocationRequired', message: 'The location property is required for this definition.' }),
  runCommandLimit: (limit: number, current: number): ArmError =>
    new ArmError(400, {
      code: 'BadRequest',
      message: `The maximum allowed Managed Run Commands per virtual machine has been reached (Managed Run command limit${limit},current${current}). Delete unused run commands and retry.`,
    }),
  vmNotRunning: (): ArmError =>
    new ArmError(409, { code: 'OperationNotAllowed', message: 'Cannot modify extensions in the VM when the VM is not running.' }),
  actionRunCommandInProgress: (): ArmError =>
    new ArmError(409, {
      code: 'Conflict',
      message: 'Run command extension execution is in progress. Please wait for completion before invoking a run command.',
    }),
  markedForDeletion: (name: string): ArmError =>
    new ArmError(409, {
      code: 'OperationNotAllowed',
      message: `Operation 'PutVMExtension' is not allowed on VM extension '${name}' since it is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).`,
    }),
  requestTooLarge: (): ArmError =>
    new ArmError(413, { code: 'RequestEntityTooLarge', message: 'The request content size exceeds the maximum allowed size of 4 MB.' }),
  internal: (): ArmError =>
    new ArmError(500, {
      code: 'InternalServerError',
      message: `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}'.`,
    }),
};

/** The body of a 5xx the fault injector answers with. */
export function serverErrorBody(status: number): ArmErrorBody {
  if (status === 503) return { code: 'ServiceUnavailable', message: 'The service is unavailable. Please retry the request.' };
  if (status === 502) return { code: 'BadGateway', message: 'The gateway did not receive a response from the resource provider in time.' };
  return armErrors.internal().body;
}
