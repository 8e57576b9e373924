// One-at-a-time execution for read-modify-write of a shared file: each call runs after the previous
// one settles (a failure does not block the next).
export function serialized(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };
}
