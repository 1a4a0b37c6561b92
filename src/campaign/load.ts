/**
 * Loading a campaign file: TypeScript or JavaScript through jiti (as run config files load),
 * YAML through the `yaml` package. Every problem is one ConfigError line naming the file and,
 * for a bad field, the field.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createJiti } from 'jiti';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/load.js';
import { expandCampaign, type Matrix } from './matrix.js';

export const CAMPAIGN_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.yaml', '.yml'] as const;

/** The file's name less its extensions: `nightly.campaign.ts` → `nightly`. */
export const defaultCampaignName = (file: string) =>
  basename(file)
    .replace(/\.(ts|mts|js|mjs|yaml|yml)$/, '')
    .replace(/\.(campaign|config)$/, '')
    .replace(/[^A-Za-z0-9_.+-]/g, '_') || 'campaign';

export async function loadCampaignInput(file: string): Promise<unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`${file}: no such campaign file`);
  if (!statSync(path).isFile()) throw new ConfigError(`${file}: not a regular file`);
  if (!CAMPAIGN_EXTENSIONS.some((ext) => path.endsWith(ext)))
    throw new ConfigError(`${file}: a campaign file ends in ${CAMPAIGN_EXTENSIONS.join(', ')}`);
  if (/\.ya?ml$/.test(path)) {
    try {
      return parseYaml(readFileSync(path, 'utf8'), { prettyErrors: true });
    } catch (e) {
      throw new ConfigError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    const jiti = createJiti(import.meta.url, { moduleCache: false, tryNative: true });
    return await jiti.import(path, { default: true });
  } catch (e) {
    throw new ConfigError(`${file}: could not load: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Loads, validates and expands a campaign file. */
export async function loadCampaign(file: string): Promise<Matrix> {
  const input = await loadCampaignInput(file);
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ConfigError(`${file}: the campaign must be an object (YAML mapping or default export)`);
  return expandCampaign(input, file, defaultCampaignName(file));
}
