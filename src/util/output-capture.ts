/**
 * Collects a stream's bytes with a memory bound: the first `headCap` bytes (what the contract
 * parser reads) and the last `tailCap` bytes (what humans read), plus the total seen.
 * Bytes past the cap are counted and dropped, so a plugin printing gigabytes cannot exhaust RUNE.
 */
export class OutputCapture {
  private readonly head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer = Buffer.alloc(0);
  total = 0;

  constructor(
    private readonly headCap: number,
    private readonly tailCap: number,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.headCap) {
      const take = chunk.subarray(0, this.headCap - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
    }
    const joined =
      this.tail.length + chunk.length > this.tailCap * 2
        ? Buffer.concat([this.tail, chunk]).subarray(-this.tailCap)
        : Buffer.concat([this.tail, chunk]);
    this.tail = joined.length > this.tailCap ? joined.subarray(-this.tailCap) : joined;
  }

  get truncated(): boolean {
    return this.total > this.headCap;
  }

  text(): string {
    return Buffer.concat(this.head).toString('utf8');
  }

  tailText(): string {
    return this.tail.toString('utf8');
  }
}
