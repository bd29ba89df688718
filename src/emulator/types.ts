/**
 * Shapes shared by the emulator's modules. Property names that appear on the
 * wire keep Azure's spelling (runCommand properties, instance view fields).
 */

export type OsType = 'Linux' | 'Windows';

/** One virtual machine of the simulated fleet (standalone). */
export interface VirtualMachineDefinition {
  subscriptionId?: string;
  resourceGroup: string;
  name: string;
  location?: string;
  tags?: Record<string, string>;
  osType?: OsType;
  vmSize?: string;
}

/** A scale set; its instances are VMs that get run commands like any other. */
export interface ScaleSetDefinition {
  subscriptionId?: string;
  resourceGroup: string;
  name: string;
  location?: string;
  tags?: Record<string, string>;
  osType?: OsType;
  vmSize?: string;
  /** Instance ids ("0", "1", ...); a number n means "0".."n-1". */
  instances: number | string[];
}

/** The whole simulated estate, as the admin path and `startEmulator` accept it. */
export interface FleetDefinition {
  virtualMachines: VirtualMachineDefinition[];
  virtualMachineScaleSets?: ScaleSetDefinition[];
}

export type LatencyProfile = 'none' | 'realistic';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Certificates, state and the VMs' sandbox folders live here. */
  dataDir: string;
  /** 1 = Azure's real timings and throttle refill rates; 0.01 = 100x faster. */
  timeScale?: number;
  /** Used when the data dir holds no fleet yet (a persisted fleet wins on restart). */
  fleet?: FleetDefinition;
  latencyProfile?: LatencyProfile;
  /** How often a running script's instance view is refreshed; default 15 s x timeScale. */
  instanceViewRefreshMs?: number;
  /** Compute and ARM throttling; on by default, as in Azure. */
  throttling?: Partial<ThrottlingSettings>;
}

export interface EmulatorHandle {
  /** https://127.0.0.1:PORT */
  endpoint: string;
  caCertPath: string;
  caCertPem: string;
  /** Bearer token of a Contributor. */
  token: string;
  /** Bearer token of a Reader: writes get 403 AuthorizationFailed. */
  readOnlyToken: string;
  adminUrl: string;
  stop(): Promise<void>;
}

export interface ThrottlingSettings {
  enabled: boolean;
  /** Multiplies every bucket size and refill rate (1 = Azure's numbers). */
  scale: number;
  /** Also enforce ARM's per-subscription read/write/delete buckets. */
  arm: boolean;
}

export interface RunCommandInputParameter {
  name: string;
  value: string;
}

export interface RunCommandManagedIdentity {
  clientId?: string;
  objectId?: string;
}

export interface VirtualMachineRunCommandScriptSource {
  script?: string;
  scriptUri?: string;
  commandId?: string;
  scriptUriManagedIdentity?: RunCommandManagedIdentity;
}

/** The writable properties of a managed run command, secrets included. */
export interface RunCommandSpec {
  source: VirtualMachineRunCommandScriptSource;
  parameters?: RunCommandInputParameter[];
  protectedParameters?: RunCommandInputParameter[];
  asyncExecution: boolean;
  runAsUser?: string;
  runAsPassword?: string;
  timeoutInSeconds: number;
  outputBlobUri?: string;
  errorBlobUri?: string;
  outputBlobManagedIdentity?: RunCommandManagedIdentity;
  errorBlobManagedIdentity?: RunCommandManagedIdentity;
  treatFailureAsDeploymentFailure: boolean;
}

export type ExecutionState = 'Unknown' | 'Pending' | 'Running' | 'Failed' | 'Succeeded' | 'TimedOut' | 'Canceled';

export interface RunCommandInstanceView {
  executionState: ExecutionState;
  executionMessage: string;
  exitCode: number;
  output: string;
  error: string;
  startTime?: string;
  endTime?: string;
}

export type ProvisioningState = 'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Failed';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorBody[];
  innererror?: Record<string, string>;
}

/** What the agent reports about one execution (for counters and the admin path). */
export interface RunRecord {
  vm: string;
  runCommand: string;
  kind: 'managed' | 'action';
  startedAt: string;
  endedAt?: string;
  exitCode?: number;
  executionState: ExecutionState;
  pid?: number;
}

/** Request-level faults, applied to ARM paths only (never to the admin path). */
export interface RequestFaults {
  latencyMs: number;
  /** Probability (0..1) of answering a 5xx instead of handling the request. */
  serverErrorRate: number;
  serverErrorStatus: 500 | 502 | 503;
  /** Probability (0..1) of resetting the connection instead of answering. */
  connectionResetRate: number;
  /**
   * 'before': the request is not handled (latency delays it); 'after': it is
   * handled, then the answer is late (latency) or lost — a client that dies
   * in that gap has changed Azure without knowing it.
   */
  phase: 'before' | 'after';
  /** HTTP methods the faults apply to; all when empty. */
  methods: string[];
}

/** Faults of one VM. */
export interface VmFaults {
  /** The agent stops reporting: instance views freeze, provisioning never completes. */
  hungAgent: boolean;
  /** Writes are refused with 409 OperationNotAllowed; running scripts are killed. */
  deallocated: boolean;
  /** The handler dies afterMs into the current or next script on this VM (once). */
  agentCrash: { afterMs: number } | null;
  /** A busy handler: it picks up each new run command this much later than usual (0: on time). */
  agentPickupDelayMs: number;
}
