"""The batched engine: trace a function once on one sample, then replay it over whole batches,
the rule table evaluated on numpy arrays.

    tape = trace(loss_of_one_sample, example=batch[0], wrt=model.parameters())
    tape.run(batch)                 # every sample's outputs
    tape.value_and_grad(batch)      # and the gradient of the batch's MEAN loss
    tape.backward(batch)            # that gradient added to each parameter's .grad

Its phases, in the order a tape is made, each a few functions feeding the next:

1. tracer.py: `trace` calls the function on Values standing for one sample and keeps the
   graph it builds (a Recording); the tape made from it is checked against the eager engine.
2. plan.py: `make_plan` gives every number a slot, shared by the batch or one per sample, and
   gathers the nodes into groups that one numpy call evaluates (a layer of neurons is one).
3. codegen.py: `write_program` writes the plan as a short numpy program, a forward and a
   backward function, and lists the constants its text names.
4. tape.py: `Tape` compiles the program once and runs it; `tape.source` is its text.
5. diagnose.py: when a run gives inf or NaN, the operation and the sample to blame, in the
   eager engine's words.
"""
from .tape import Tape
from .tracer import trace

__all__ = ["trace", "Tape"]
