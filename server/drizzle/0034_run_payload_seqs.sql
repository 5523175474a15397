-- A run's input and output stay in the bodies of the events that carried them (compressed, once);
-- the run's row names those events by seq. Rows projected before keep the JSON text in `input` and
-- `output`, read while their seq is null: which event holds an older row's input is not always
-- knowable here (a body may be compressed, and a later run.started without an input does not
-- replace it), so they are left as they are.
ALTER TABLE `runs` ADD `input_seq` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `output_seq` integer;