/**
 * The `--post` command-line options, without the HTTP stack behind them: a command checks them
 * before converting and loads the client only when it posts.
 */
import type { PostBundleOptions } from './post-bundle.js';

/** `node:util` `parseArgs` option specs; spread them into a command's own `options`. */
export const postOptionSpecs = {
  post: { type: 'string' },
  'fhir-token': { type: 'string' },
  'fhir-username': { type: 'string' },
  'fhir-password': { type: 'string' },
  'fhir-timeout': { type: 'string' },
  'allow-subject-change': { type: 'boolean' },
} as const;

/** Help lines for the options above, aligned like the other commands' help. */
export const postHelpLines: readonly string[] = [
  '  --post <url>             POST the transaction Bundle to this FHIR server base URL and print',
  "                           the server's transaction-response (implies --format bundle;",
  '                           --out still receives the Bundle as converted)',
  '  --fhir-token <token>     Bearer token for --post (default: env FHIR_SERVER_TOKEN)',
  '  --fhir-username <name>   HTTP Basic user name for --post (with --fhir-password)',
  '  --fhir-password <secret> HTTP Basic password for --post (default: env FHIR_SERVER_PASSWORD)',
  '  --fhir-timeout <seconds> timeout of each request to the FHIR server (default: 30)',
  "  --allow-subject-change   confirm a PACS correction: move a study the server already links",
  '                           to another patient (otherwise refused as study-of-other-patient)',
];

export interface PostOptionValues {
  post?: string;
  'fhir-token'?: string;
  'fhir-username'?: string;
  'fhir-password'?: string;
  'fhir-timeout'?: string;
  'allow-subject-change'?: boolean;
}

/**
 * Checks the `--post` options (with `FHIR_SERVER_TOKEN`/`FHIR_SERVER_PASSWORD` from `env`) and
 * returns where and how to post, or the problem as a one-line message. A command checks them
 * before it converts anything, so a typo does not cost a long conversion.
 */
export function parsePostOptions(values: PostOptionValues, env: Record<string, string | undefined> = process.env): PostBundleOptions | string {
  const url = values.post;
  if (url === undefined || !/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) {
    return `--post needs an http(s) FHIR base URL, got '${url ?? ''}'`;
  }
  let timeoutMs: number | undefined;
  if (values['fhir-timeout'] !== undefined) {
    const seconds = Number(values['fhir-timeout']);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return `--fhir-timeout needs a positive number of seconds, got '${values['fhir-timeout']}'`;
    }
    timeoutMs = seconds * 1000;
  }
  const username = values['fhir-username'];
  // An exported but empty variable counts as unset.
  const fromEnv = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const password = values['fhir-password'] ?? (username === undefined ? undefined : fromEnv('FHIR_SERVER_PASSWORD'));
  const token = values['fhir-token'] ?? (username === undefined ? fromEnv('FHIR_SERVER_TOKEN') : undefined);
  if (password !== undefined && username === undefined) {
    return '--fhir-password needs --fhir-username';
  }
  if (username !== undefined && password === undefined) {
    return '--fhir-username needs --fhir-password (or env FHIR_SERVER_PASSWORD)';
  }
  if (values['fhir-token'] !== undefined && username !== undefined) {
    return 'give either --fhir-token or --fhir-username/--fhir-password, not both';
  }
  return {
    url,
    ...(values['allow-subject-change'] === true ? { identity: { allowSubjectChange: true } } : {}),
    ...(token === undefined ? {} : { token }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

