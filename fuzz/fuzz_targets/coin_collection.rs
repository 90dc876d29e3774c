#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kd_fuzz::coin_collection(data));
