import { AsyncResource } from 'node:async_hooks';

/**
 * Replaces Node's `AsyncResource#bind` with one that does the same without the deprecated
 * `asyncResource` property (DEP0172) on the bound function, when the running Node still defines
 * that property. Fastify binds one callback for every request with a body (its content-type
 * parser), and Nest one per interceptor call.
 *
 * Why: Node 20 builds that property from two `util.deprecate()` wrappers, and each wrapper is made
 * the child of a fresh prototype. V8 registers every such prototype in long-lived (old-space)
 * lists, and what they reach survives young-generation collections. Measured with
 * `--trace-gc-nvp` under `POST /connect/token` load: about 2 MB of every 12 MB allocated
 * survived each scavenge and 95–99 % of it was promoted, against none for GET requests. The old
 * space then filled with 100 MB of garbage between full collections, which is where the peak RSS
 * under load went (220–230 MiB; 133–135 MiB with this replacement; README, Performance).
 *
 * The replacement keeps `bind`'s contract: `fn` runs in the resource's async scope (so
 * AsyncLocalStorage and async hooks see the same context), with `thisArg` or else the caller's
 * `this`, with the caller's arguments, and the bound function's `length` is `fn.length`.
 * Idempotent; does nothing on a Node whose `bind` no longer adds the property.
 */
export function useLeanAsyncResourceBind(): void {
  const prototype = AsyncResource.prototype as { bind: unknown; [NATIVE_BIND]?: unknown };
  // Replaced already, possibly by another copy of this module (each Jest test file loads its own).
  if (prototype[NATIVE_BIND] !== undefined) return;
  const probe = new AsyncResource('lean-bind-probe', { requireManualDestroy: true });
  if (Object.getOwnPropertyDescriptor(probe.bind(() => undefined), 'asyncResource') === undefined) return;
  Object.defineProperty(prototype, NATIVE_BIND, { value: prototype.bind, configurable: true, enumerable: false, writable: false });
  prototype.bind = leanBind;
}

/** Where the replaced `bind` is kept: a registry symbol, the same for every copy of this module. */
export const NATIVE_BIND = Symbol.for('identity-server.native-async-resource-bind');

function leanBind(this: AsyncResource, fn: unknown, thisArg?: unknown): unknown {
  if (typeof fn !== 'function') {
    throw Object.assign(new TypeError(`The "fn" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  const resource = this;
  const target = fn as (...args: unknown[]) => unknown;
  const bound = thisArg === undefined
    ? function bound(this: unknown, ...args: unknown[]): unknown { return resource.runInAsyncScope(target, this, ...args); }
    : function bound(...args: unknown[]): unknown { return resource.runInAsyncScope(target, thisArg, ...args); };
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, writable: false, value: target.length });
  return bound;
}
