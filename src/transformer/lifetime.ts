// A model's lifetime: after dispose() its weights are back in the runtime's memory, so a call
// then says so by name, rather than reading memory that now holds something else.
export class Lifetime {
  private ended = false;

  /** Throws if the model was disposed; `method` starts the message. */
  check(method: string): void {
    if (this.ended) throw new Error(`${method}: the model was disposed (dispose() gave its weights back)`);
  }

  /** Marks the end; false when it had ended already (a second dispose() frees nothing). */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    return true;
  }
}
