"""The NGSI-LD API (ETSI GS CIM 009): context, entities, batches, temporal, subscriptions."""
