import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** The server's Prometheus metrics (`GET /metrics`), in a registry of its own. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'ssmc_requests_total', help: 'HTTP requests answered, by endpoint and status code', labelNames: ['endpoint', 'code'], registers: [this.registry] });
  readonly rejected = new Counter({ name: 'ssmc_rejected_total', help: 'Requests refused or ended early, by reason (queue_full, timeout, slow_client, disconnected, shutdown, engine_failed)', labelNames: ['reason'], registers: [this.registry] });
  readonly requestSeconds = new Histogram({ name: 'ssmc_request_duration_seconds', help: 'Time from request to the end of its response, by endpoint', labelNames: ['endpoint'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly promptTokens = new Counter({ name: 'ssmc_prompt_tokens_total', help: 'Prompt tokens of accepted completion requests', registers: [this.registry] });
  readonly generatedTokens = new Counter({ name: 'ssmc_generated_tokens_total', help: 'Tokens generated and delivered', registers: [this.registry] });
  readonly timeToFirstToken = new Histogram({ name: 'ssmc_time_to_first_token_seconds', help: 'From an accepted completion request to its first token', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly interTokenSeconds = new Histogram({ name: 'ssmc_inter_token_seconds', help: 'Between consecutive tokens of one sequence (per-token latency)', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  /** Read when /metrics is scraped. */
  queueProbe: () => { lm: number; infer: number } = () => ({ lm: 0, infer: 0 });
  inFlightProbe: () => number = () => 0;
  readonly inFlight: Gauge;
  readonly queueDepth: Gauge<'engine'>;
  readonly running = new Gauge({ name: 'ssmc_running_sequences', help: 'Sequences in the decoding batch', registers: [this.registry] });
  readonly stateBytes = new Gauge({ name: 'ssmc_state_reserved_bytes', help: 'Bytes the batcher reserves at start for max-batch sequences (states and logits)', registers: [this.registry] });
  readonly batchSize = new Histogram({ name: 'ssmc_batch_size', help: 'Sequences per step-graph call', buckets: BATCH_BUCKETS, registers: [this.registry] });
  readonly stepSeconds = new Histogram({ name: 'ssmc_step_seconds', help: 'Duration of one step-graph call (the whole batch)', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly prefillSeconds = new Histogram({ name: 'ssmc_prefill_seconds', help: 'Duration of one prefill-graph call', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly prefillBatch = new Histogram({ name: 'ssmc_prefill_batch_size', help: 'Prompts per prefill-graph call', buckets: BATCH_BUCKETS, registers: [this.registry] });
  readonly inferSeconds = new Histogram({ name: 'ssmc_infer_seconds', help: 'Duration of one v2 inference in the runtime', buckets: LATENCY_BUCKETS, registers: [this.registry] });

  constructor() {
    const probe = () => this.queueProbe();
    this.queueDepth = new Gauge({
      name: 'ssmc_queue_depth', help: 'Requests waiting for a batch slot (completions) or for the model (v2 infer)', labelNames: ['engine'], registers: [this.registry],
      collect() {
        const depth = probe();
        this.set({ engine: 'lm' }, depth.lm);
        this.set({ engine: 'infer' }, depth.infer);
      },
    });
    const inFlight = () => this.inFlightProbe();
    this.inFlight = new Gauge({
      name: 'ssmc_requests_in_flight', help: 'Completion sequences and v2 inferences accepted and not yet finished', registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }
}
