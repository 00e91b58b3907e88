/**
 * XMLHttpRequest for dicomweb-client under Node.js. dicomweb-client is written for browsers
 * and calls `new XMLHttpRequest()` itself whenever a request is not given an instance, so the
 * constructor must be reachable as a global. xhr2 supplies it (SPEC §5); it is installed on
 * `globalThis.XMLHttpRequest` only when no implementation exists, so a browser, a test
 * environment or an application that brings its own keeps it. Nothing else global is touched.
 */
import { createRequire } from 'node:module';

type XhrConstructor = new () => XMLHttpRequestLike;

/** The subset of the XHR interface this module relies on (Node has no DOM typings). */
export interface XMLHttpRequestLike {
  timeout: number | null;
  addEventListener(type: 'timeout' | 'error' | 'abort', listener: () => void): void;
}

const require = createRequire(import.meta.url);

export function xmlHttpRequestConstructor(): XhrConstructor {
  const scope = globalThis as { XMLHttpRequest?: XhrConstructor };
  if (scope.XMLHttpRequest === undefined) {
    scope.XMLHttpRequest = require('xhr2') as XhrConstructor;
  }
  return scope.XMLHttpRequest;
}
