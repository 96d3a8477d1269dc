namespace SalesOps.Persistence.Tests;
