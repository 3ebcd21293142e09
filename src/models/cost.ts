/**
 * One part of what a compile is estimated to cost (src/budget.ts adds them up and checks them
 * against the budget); here so an arch can declare its own work without importing the budget.
 */
export interface CostPart {
  /** What costs, in words: "parameters (7.0e8 float32)". */
  what: string;
  bytes: number;
  seconds: number;
}
