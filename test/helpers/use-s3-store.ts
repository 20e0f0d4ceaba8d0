// The jest project `s3`: every test app of these files stores its files in SeaweedFS (see test-app.ts).
process.env.SEMREG_TEST_STORE = 's3';
