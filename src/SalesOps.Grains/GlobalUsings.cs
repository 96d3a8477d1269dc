global using SalesOps.Runtime;
global using GrainJournal = SalesOps.Runtime.GrainJournal<SalesOps.Grains.Durability.JournalEntry>;
global using JournalFactory = SalesOps.Runtime.JournalFactory<SalesOps.Grains.Durability.JournalEntry>;
global using JournalUpcaster = SalesOps.Runtime.JournalUpcaster<SalesOps.Grains.Durability.JournalEntry>;
