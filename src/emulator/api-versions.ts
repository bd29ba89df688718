/**
 * The api-versions the emulator answers. Compute's stable versions from the
 * action Run Command era (2019-03-01) to the one @azure/arm-compute v24 sends
 * (2026-03-01), plus Microsoft.Resources' for resource-group reads.
 */
export const COMPUTE_API_VERSIONS: readonly string[] = [
  '2019-03-01', '2019-07-01', '2019-12-01', '2020-06-01', '2020-12-01',
  '2021-03-01', '2021-04-01', '2021-07-01', '2021-11-01', '2022-03-01',
  '2022-08-01', '2022-11-01', '2023-03-01', '2023-07-01', '2023-09-01',
  '2024-03-01', '2024-07-01', '2024-11-01', '2025-04-01', '2025-11-01',
  '2026-03-01',
];

export const RESOURCES_API_VERSIONS: readonly string[] = [
  '2019-10-01', '2020-06-01', '2021-04-01', '2022-09-01', '2023-07-01', '2024-03-01', '2024-07-01', '2024-11-01', '2025-04-01',
];

const compute = new Set(COMPUTE_API_VERSIONS);
const resources = new Set(RESOURCES_API_VERSIONS);

export type ApiVersionProblem = { code: 'MissingApiVersionParameter' | 'InvalidApiVersionParameter'; message: string };

export function checkApiVersion(value: string | null, provider: 'compute' | 'resources'): ApiVersionProblem | undefined {
  if (value === null || value === '') {
    return {
      code: 'MissingApiVersionParameter',
      message: "The api-version query parameter (?api-version=) is required for all requests.",
    };
  }
  const known = provider === 'compute' ? compute : resources;
  if (known.has(value)) return undefined;
  const list = provider === 'compute' ? COMPUTE_API_VERSIONS : RESOURCES_API_VERSIONS;
  return {
    code: 'InvalidApiVersionParameter',
    message: `The api-version '${value}' is invalid. The supported versions are '${[...list].reverse().join(',')}'.`,
  };
}

/** treatFailureAsDeploymentFailure exists from 2023-03-01 on; older versions neither take nor show it. */
export function supportsTreatFailure(apiVersion: string): boolean {
  return apiVersion >= '2023-03-01';
}
