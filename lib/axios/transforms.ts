import type { DispatchStep } from './dispatch';

type Transform = (this: unknown, data: unknown, headers: unknown, status?: unknown) => unknown;

/** On a transform of ours that runs another one and then the dispatch step: which step, and which transform. */
const FUSED_STEP = Symbol('dispatchStep');
const FUSED_TRANSFORM = Symbol('transform');
type Fused = Transform & { [FUSED_STEP]: DispatchStep; [FUSED_TRANSFORM]: Transform };

/**
 * `transforms` (a request's or the instance defaults' transformRequest) with `step` run
 * last. The step is fused into the last transform rather than appended: axios
 * normalizes the headers object again before each transform it calls, which costs more
 * than the step itself. A new array; the given one is never changed (it may be shared).
 */
export function withDispatchStep(transforms: unknown, step: DispatchStep): Transform[] {
  if (endsWithDispatchStep(transforms, step)) return transforms as Transform[];
  const list = (transforms === undefined || transforms === null ? [] : Array.isArray(transforms) ? transforms : [transforms]) as Transform[];
  if (list.length === 0) return [step];
  return [...list.slice(0, -1), fuse(list[list.length - 1], step)];
}

/** Whether the last transform is `step`, or ours with `step` fused into it. */
export function endsWithDispatchStep(transforms: unknown, step: DispatchStep): boolean {
  if (!Array.isArray(transforms) || transforms.length === 0) return false;
  const last = transforms[transforms.length - 1] as Partial<Fused> | undefined;
  return last === step || last?.[FUSED_STEP] === step;
}

/** `transforms` as they were before withDispatchStep. */
export function withoutDispatchStep(transforms: unknown, step: DispatchStep): unknown {
  if (!endsWithDispatchStep(transforms, step)) return transforms;
  const list = transforms as Transform[];
  const last = list[list.length - 1] as Transform | Fused;
  return last === step ? list.slice(0, -1) : [...list.slice(0, -1), (last as Fused)[FUSED_TRANSFORM]];
}

function fuse(transform: Transform, step: DispatchStep): Fused {
  // axios calls transforms with the request's config as `this` and (data, headers); keep both.
  const fused = function (this: unknown, data: unknown, headers: unknown, status?: unknown): unknown {
    return step.call(this, transform.call(this, data, headers, status), headers);
  } as Fused;
  fused[FUSED_STEP] = step;
  fused[FUSED_TRANSFORM] = transform;
  return fused;
}
