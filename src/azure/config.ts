import { z } from 'zod';
import { settingsFromEnv } from '../env-settings';

/**
 * Where fleetcmd's Azure calls go. Real Azure needs none of these set
 * (DefaultAzureCredential and the public ARM endpoint); the local emulator
 * sets the endpoint, its CA and a static token.
 */
export const azureConfigSchema = z.object({
  armEndpoint: z.url({ protocol: /^https$/, error: 'must be an https:// URL (the Azure SDK refuses bearer tokens over http)' }).default('https://management.azure.com'),
  /** PEM file of an extra CA to trust for ARM calls (the emulator's). */
  armCaFile: z.string().min(1).optional(),
  /** A static bearer token (the emulator's); DefaultAzureCredential when absent. */
  armToken: z.string().min(1).optional(),
  /** How much faster than Azure's the throttling buckets refill (the emulator's scale / time scale); 1 for Azure. */
  armRefillSpeedup: z.coerce.number().positive().optional(),
  /** Storage for full outputs: a connection string with an account key (Azurite), or... */
  storageConnectionString: z.string().min(1).optional(),
  /** ...an account URL, authorised by DefaultAzureCredential (user-delegation SAS). */
  storageAccountUrl: z.url().optional(),
});
export type AzureConfig = z.infer<typeof azureConfigSchema>;

/** The variable each setting is read from. */
const AZURE_SETTINGS = {
  armEndpoint: 'FLEETCMD_ARM_ENDPOINT',
  armCaFile: 'FLEETCMD_ARM_CA_FILE',
  armToken: 'FLEETCMD_ARM_TOKEN',
  armRefillSpeedup: 'FLEETCMD_ARM_REFILL_SPEEDUP',
  storageConnectionString: 'FLEETCMD_STORAGE_CONNECTION_STRING',
  storageAccountUrl: 'FLEETCMD_STORAGE_ACCOUNT_URL',
} as const;

/** Reads the configuration from FLEETCMD_* environment variables. */
export function azureConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AzureConfig {
  return settingsFromEnv('Azure configuration', azureConfigSchema, AZURE_SETTINGS, env);
}
