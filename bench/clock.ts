/**
 * The clock every cross-process timestamp uses: CLOCK_MONOTONIC via process.hrtime, in ms. On
 * Linux it is one clock for all processes of the machine, so a time stamped in the load process
 * can be subtracted from one stamped in the benchmark process.
 */
export const hrMs = (): number => Number(process.hrtime.bigint()) / 1e6;
