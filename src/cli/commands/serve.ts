/**
 * `dicom2fhir serve`: runs the Orthanc bridge and its FHIR read API until SIGTERM/SIGINT. Every
 * flag mirrors an environment variable of the settings table (a flag wins over the variable), so
 * the container and the command line are configured the same way.
 */
import { loadConfig, settings, type Setting, type SettingKey } from '../../config/index.js';
import { createLogger } from '../../logging/index.js';
import { escapeControlCharacters } from '../../text/control-characters.js';

const keys = Object.keys(settings) as SettingKey[];

export function serveHelp(): string {
  const rows = keys.map((key) => {
    const s: Setting = settings[key];
    const left = `  ${s.flag} <value>`;
    const fallback = s.defaultText === undefined ? '' : ` (default: ${s.defaultText})`;
    return `${left.padEnd(33)} ${s.env}\n${' '.repeat(34)}${s.description}${fallback}`;
  });
  return [
    'Usage: dicom2fhir serve [options]',
    '',
    'Runs the Orthanc bridge: webhook and change-feed triggers, scheduled QIDO-RS reconciliation,',
    'a durable SQLite store and a FHIR read API (GET /ImagingStudy, /metadata, /healthz, /readyz).',
    'Access: API_TOKEN (one static bearer token) and/or OAuth 2.0 JWT access tokens with SMART scopes',
    '(OAUTH_ISSUER, OAUTH_AUDIENCE, OAUTH_JWKS_URL or OAUTH_PUBLIC_KEY_FILE, OAUTH_TOKEN_URL; discovery at',
    '/.well-known/smart-configuration). Without either, reads are open on a loopback HOST only, elsewhere',
    'only with ALLOW_ANONYMOUS_READS=true. Every read and search is audited (AUDIT_LOG).',
    'Each option can also be given as the environment variable shown; the option wins.',
    '',
    'Options:',
    ...rows,
    '  -h, --help                      Show this help',
  ].join('\n');
}

type ParsedArgs = { help: true } | { help: false; env: Record<string, string>; problems: string[] };

/** `--flag value` and `--flag=value` → the matching environment variable names. */
export function parseServeArgs(argv: string[]): ParsedArgs {
  const byFlag = new Map(keys.map((key) => [settings[key].flag, settings[key].env]));
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') return { help: true };
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = byFlag.get(flag);
    if (name === undefined) {
      problems.push(`unknown option ${flag}`);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) problems.push(`${flag} needs a value`);
    else env[name] = value;
  }
  return { help: false, env, problems };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseServeArgs(argv);
  if (args.help) {
    process.stdout.write(serveHelp() + '\n');
    return 0;
  }
  const loaded = loadConfig({ ...process.env, ...args.env });
  const problems = [...args.problems, ...(loaded.ok ? [] : loaded.problems)];
  if (!loaded.ok || problems.length > 0) {
    process.stderr.write(`dicom2fhir serve: invalid configuration:\n${problems.map((p) => `  - ${escapeControlCharacters(p)}`).join('\n')}\n\nRun \`dicom2fhir serve --help\` for every option.\n`);
    return 2;
  }
  const logger = createLogger({ level: loaded.config.logLevel });
  for (const warning of loaded.warnings) logger.warn({}, warning);
  const { startBridge } = await import('../../bridge/app.js');
  const { StoreRefusedError } = await import('../../bridge/store/faults.js');
  const bridge = await startBridge(loaded.config, { logger }).catch((error: unknown) => {
    if (!(error instanceof StoreRefusedError)) throw error;
    process.stderr.write(`dicom2fhir serve: refusing the store: ${error.message}\n`);
    return undefined;
  });
  if (bridge === undefined) return 2;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutdown requested');
  await bridge.stop();
  return 0;
}
