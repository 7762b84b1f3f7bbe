import { RuneError } from '../core/errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../util/json-depth';

type PropSchema = { type?: string | string[]; items?: { type?: string } };

function coerce(raw: string, type: string | undefined): unknown {
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/**
 * Builds params from `--params-json` then `--param k=v` (later wins). A `--param` value is read
 * by the type its plugin's schema declares: numbers, booleans, `a,b` or JSON for arrays, JSON for
 * objects; anything else stays a string, and the schema check reports what does not fit.
 */
export function parseCliParams(
  pairs: string[],
  paramsJson: string | undefined,
  schema: Record<string, unknown> | undefined,
): Record<string, unknown> {
  let params: Record<string, unknown> = {};
  if (paramsJson !== undefined) {
    if (exceedsJsonDepth(paramsJson))
      throw new RuneError('USAGE', `--params-json nests deeper than ${MAX_JSON_DEPTH} levels`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(paramsJson);
    } catch (err) {
      throw new RuneError('USAGE', `--params-json is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new RuneError('USAGE', '--params-json must be a JSON object');
    params = parsed as Record<string, unknown>;
  }
  const props = (schema?.properties ?? {}) as Record<string, PropSchema>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new RuneError('USAGE', `--param ${JSON.stringify(pair)} must look like key=value`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const prop = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
    const type = Array.isArray(prop?.type) ? prop?.type[0] : prop?.type;
    if (type === 'array' || type === 'object') {
      if (raw.trim().startsWith('[') || raw.trim().startsWith('{')) {
        if (exceedsJsonDepth(raw))
          throw new RuneError('USAGE', `--param ${key}: value nests deeper than ${MAX_JSON_DEPTH} levels`);
        try {
          params[key] = JSON.parse(raw);
          continue;
        } catch (err) {
          throw new RuneError('USAGE', `--param ${key}: value is not valid JSON: ${(err as Error).message}`);
        }
      }
      params[key] =
        type === 'array' ? (raw === '' ? [] : raw.split(',').map((v) => coerce(v, prop?.items?.type))) : raw;
    } else params[key] = coerce(raw, type);
  }
  return params;
}
