import type { DispatchStep } from './dispatch';

type Transform = (this: unknown, data: unknown, headers: unknown, status?: unknown) => unknown;

/** On a transform of ours that runs another one and then the dispatch step: which step. */
const FUSED_STEP = Symbol('dispatchStep');
type Fused = Transform & { [FUSED_STEP]: DispatchStep };

/**
 * `transforms` (a request's or the instance defaults' transformRequest) with `step` run
 * last. The step is fused into the last transform rather than appended: axios
 * normalizes the headers object again before each transform it calls, which costs more
 * than the step itself. A new array; the given one is never changed (it may be shared).
 */
export function withDispatchStep(transforms: unknown, step: DispatchStep): Transform[] {
  if (endsWithDispatchStep(transforms, step)) return transforms as Transform[];
  const list = (
    transforms === undefined || transforms === null ? [] : Array.isArray(transforms) ? transforms : [transforms]
  ) as Transform[];
  if (list.length === 0) return [step];
  return [...list.slice(0, -1), fuse(list[list.length - 1], step)];
}

/** Whether the last transform is `step`, or ours with `step` fused into it. */
export function endsWithDispatchStep(transforms: unknown, step: DispatchStep): boolean {
  if (!Array.isArray(transforms) || transforms.length === 0) return false;
  const last = transforms[transforms.length - 1] as Partial<Fused> | undefined;
  return last === step || last?.[FUSED_STEP] === step;
}

/**
 * Whether `transforms` is axios' per-request copy of `defaults` (same functions, another
 * array): only such a copy may be changed in place, as nothing else holds it.
 */
export function isCopyOf(transforms: unknown, defaults: unknown): transforms is Transform[] {
  if (!Array.isArray(transforms) || !Array.isArray(defaults) || transforms === defaults) return false;
  if (transforms.length === 0 || transforms.length !== defaults.length) return false;
  for (let i = 0; i < transforms.length; i++) if (transforms[i] !== defaults[i]) return false;
  return true;
}

/** Fuses `step` into the last transform of an array this request owns (see isCopyOf). */
export function fuseIntoLast(transforms: Transform[], step: DispatchStep): void {
  transforms[transforms.length - 1] = fuse(transforms[transforms.length - 1], step);
}

/** The fused transform of each (step, transform) pair, made once: a request with transforms of its own reuses it. */
const fusedByStep = new WeakMap<DispatchStep, WeakMap<Transform, Fused>>();

function fuse(transform: Transform, step: DispatchStep): Fused {
  let fusedByTransform = fusedByStep.get(step);
  if (fusedByTransform === undefined) fusedByStep.set(step, (fusedByTransform = new WeakMap()));
  let fused = fusedByTransform.get(transform);
  if (fused === undefined) {
    // axios calls transforms with the request's config as `this` and (data, headers); keep both.
    fused = function (this: unknown, data: unknown, headers: unknown, status?: unknown): unknown {
      return step.call(this, transform.call(this, data, headers, status), headers);
    } as Fused;
    fused[FUSED_STEP] = step;
    fusedByTransform.set(transform, fused);
  }
  return fused;
}
