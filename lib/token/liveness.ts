/**
 * Whether a token request may keep the process alive. A background renewal that no
 * caller waits for must not: a script whose last request started one exits as promptly
 * as it would without the plugin. Once a caller waits for it, it must, or the process
 * could exit under the caller's feet. The token manager decides; the token request obeys.
 */
export class Liveness {
  #held: boolean;
  #onHold: (() => void)[] = [];

  constructor(held: boolean) {
    this.#held = held;
  }

  /** Whether the request keeps the process alive now. */
  get isHeld(): boolean {
    return this.#held;
  }

  /** A caller waits for the request: from now on it keeps the process alive. */
  hold(): void {
    if (this.#held) return;
    this.#held = true;
    const listeners = this.#onHold;
    this.#onHold = [];
    for (const listener of listeners) listener();
  }

  /** Runs `listener` when the request starts keeping the process alive (now, if it does). */
  whenHeld(listener: () => void): void {
    if (this.#held) listener();
    else this.#onHold.push(listener);
  }

  /** Lets a timer of the request keep the process alive only while the request does. */
  governTimer(timer: NodeJS.Timeout): void {
    // Unreferenced and at once referenced again when the request is already held: simpler than a second path.
    timer.unref();
    this.whenHeld(() => timer.ref());
  }
}
