CREATE TABLE "prediction_feedback" (
	"prediction_row_id" bigint PRIMARY KEY NOT NULL,
	"actual" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"endpoint_id" text NOT NULL,
	"prediction_id" text NOT NULL,
	"version" integer NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"inputs" jsonb NOT NULL,
	"outputs" jsonb NOT NULL,
	"latency_ms" double precision NOT NULL,
	"anomalies" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "log_sample_rate" double precision DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "log_retention_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "prediction_feedback" ADD CONSTRAINT "prediction_feedback_prediction_row_id_predictions_id_fk" FOREIGN KEY ("prediction_row_id") REFERENCES "public"."predictions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "predictions_endpoint_prediction" ON "predictions" USING btree ("endpoint_id","prediction_id");--> statement-breakpoint
CREATE INDEX "predictions_endpoint_time" ON "predictions" USING btree ("endpoint_id","time");