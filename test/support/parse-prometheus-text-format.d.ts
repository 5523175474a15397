// Types for parse-prometheus-text-format, which ships none: the shape its README documents.
declare module "parse-prometheus-text-format" {
  export interface MetricSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface MetricFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: MetricSample[];
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
