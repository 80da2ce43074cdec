/** Slots, busy slots and queue depth per loaded model: gauges read from the engine at each scrape. */
import { Gauge, type Registry } from "prom-client";
import type { Engine, SlotStatus } from "../engine/types.js";

/** The slot gauges: name, help, and what each reads from a model's slot status. */
const SLOT_GAUGES: readonly { name: string; help: string; value(status: SlotStatus): number }[] = [
  { name: "shimmy_slots", help: "Slots (parallel sequences) of each loaded model.", value: (status) => status.slots },
  { name: "shimmy_slots_busy", help: "Slots generating now, by loaded model.", value: (status) => status.busy },
  { name: "shimmy_queue_depth", help: "Requests waiting for a slot, by loaded model.", value: (status) => status.waiting },
];

/** Registers the slot gauges of `engine` on `registry`; a model that unloads drops out. */
export function registerSlotMetrics(registry: Registry, engine: Pick<Engine, "slotStatus">): void {
  for (const gauge of SLOT_GAUGES) {
    new Gauge({
      name: gauge.name,
      help: gauge.help,
      labelNames: ["model"],
      registers: [registry],
      // Each gauge reads the engine itself: prom-client reads the gauges one after another.
      collect() {
        this.reset();
        for (const status of engine.slotStatus()) this.set({ model: status.model }, gauge.value(status));
      },
    });
  }
}
