"""The event bus on Apache Kafka (aiokafka): the topic, the producer, the batch consumer."""
