"""Fault injection: a steady load through GraphQL while processes are killed with SIGKILL,
then checks that nothing acknowledged was lost, every milestone is recorded once, every
open dated item has a clock and the read models equal a rebuild (`make chaos`)."""
