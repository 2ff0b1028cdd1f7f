export declare const SEED: { experiment: string; created: number; updated: number; points: number };
