import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import { NATIVE_BIND, useLeanAsyncResourceBind } from './lean-async-resource-bind';

/** Puts Node's own bind back: an application started earlier in this worker may have replaced it (node:async_hooks is one per process). */
function restoreNativeBind(): void {
  const prototype = AsyncResource.prototype as unknown as { bind: unknown; [NATIVE_BIND]?: unknown };
  if (prototype[NATIVE_BIND] === undefined) return;
  prototype.bind = prototype[NATIVE_BIND];
  delete prototype[NATIVE_BIND];
}

describe('useLeanAsyncResourceBind', () => {
  let nativeBind: typeof AsyncResource.prototype.bind;
  beforeAll(() => {
    restoreNativeBind();
    nativeBind = AsyncResource.prototype.bind;
  });

  it('on this Node (which adds the deprecated asyncResource property), should replace bind with one that adds no such property', () => {
    const before = new AsyncResource('test').bind(() => undefined);
    expect(Object.getOwnPropertyDescriptor(before, 'asyncResource')).toBeDefined();
    useLeanAsyncResourceBind();
    expect(AsyncResource.prototype.bind).not.toBe(nativeBind);
    expect(Object.getOwnPropertyDescriptor(new AsyncResource('test').bind(() => undefined), 'asyncResource')).toBeUndefined();
  });

  it('called twice, should keep the first replacement', () => {
    useLeanAsyncResourceBind();
    const replaced = AsyncResource.prototype.bind;
    useLeanAsyncResourceBind();
    expect(AsyncResource.prototype.bind).toBe(replaced);
  });

  it('from another copy of the module (each Jest test file loads its own), should keep the first replacement and the native bind it saved', () => {
    useLeanAsyncResourceBind();
    const replaced = AsyncResource.prototype.bind;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('./lean-async-resource-bind') as typeof import('./lean-async-resource-bind')).useLeanAsyncResourceBind();
    });
    expect(AsyncResource.prototype.bind).toBe(replaced);
    expect((AsyncResource.prototype as unknown as Record<symbol, unknown>)[NATIVE_BIND]).toBe(nativeBind);
  });

  describe('the replacement, as Node documents bind', () => {
    beforeAll(() => useLeanAsyncResourceBind());

    it('should run fn in the async context where the resource was made, not where it is called', async () => {
      const storage = new AsyncLocalStorage<string>();
      const resource = storage.run('request 1', () => new AsyncResource('test'));
      const bound = resource.bind(() => [storage.getStore(), executionAsyncId()]);
      expect(storage.run('request 2', () => bound())).toEqual(['request 1', resource.asyncId()]);
      // also from a later tick, as Fastify calls it once the body has arrived
      await new Promise((resolve) => setImmediate(resolve));
      expect(storage.run('request 3', () => bound())).toEqual(['request 1', resource.asyncId()]);
    });

    it('should pass the arguments and return the result, with the caller\'s this unless thisArg is given', () => {
      const resource = new AsyncResource('test');
      function describeCall(this: unknown, a: number, b: number): [unknown, number] { return [this, a + b]; }
      const caller = { bound: resource.bind(describeCall) };
      expect(caller.bound(1, 2)).toEqual([caller, 3]);
      const fixed = { name: 'fixed' };
      // thisArg is in Node's documentation, not in its type definitions
      const withThis = { bound: (resource.bind as (fn: typeof describeCall, thisArg: unknown) => typeof describeCall)(describeCall, fixed) };
      expect(withThis.bound(3, 4)).toEqual([fixed, 7]);
    });

    it('should give the bound function the length of fn', () => {
      expect(new AsyncResource('test').bind((_a: number, _b: number, _c: number) => undefined)).toHaveLength(3);
    });

    it('should throw ERR_INVALID_ARG_TYPE for a non-function, as Node does', () => {
      expect(() => new AsyncResource('test').bind('nope' as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    });

    it('AsyncResource.bind (static), should go through the replacement too', () => {
      const storage = new AsyncLocalStorage<string>();
      const bound = storage.run('outer', () => AsyncResource.bind(() => storage.getStore()));
      expect(bound()).toBe('outer');
      expect(Object.getOwnPropertyDescriptor(bound, 'asyncResource')).toBeUndefined();
    });
  });
});
